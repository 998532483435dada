// The directory's map: the results of the current page that have a
// position, drawn on tiles from the hub's tile server. The list beside it
// stays the reference; without Leaflet or tiles, nothing here runs.
(function () {
  "use strict";
  var box = document.getElementById("map");
  if (!box || typeof window.L === "undefined") {
    return;
  }
  var points = [];
  document.querySelectorAll("#results li[data-lat][data-lon]").forEach(function (item) {
    var lat = parseFloat(item.getAttribute("data-lat"));
    var lon = parseFloat(item.getAttribute("data-lon"));
    if (isFinite(lat) && isFinite(lon)) {
      points.push({
        lat: lat,
        lon: lon,
        name: item.getAttribute("data-name"),
        href: item.getAttribute("data-href"),
        hub: item.getAttribute("data-hub")
      });
    }
  });
  if (points.length === 0) {
    box.hidden = true;
    return;
  }
  box.textContent = "";
  box.classList.add("map-live");
  var map = window.L.map(box, { scrollWheelZoom: false });
  window.L.tileLayer(box.getAttribute("data-tiles"), {
    maxZoom: 18,
    attribution: box.getAttribute("data-attribution") || ""
  }).addTo(map);
  var bounds = [];
  points.forEach(function (p) {
    var popup = document.createElement("div");
    var link = document.createElement("a");
    link.href = p.href;
    link.textContent = p.name;
    popup.appendChild(link);
    if (p.hub) {
      var hub = document.createElement("p");
      hub.className = "hub";
      hub.textContent = p.hub;
      popup.appendChild(hub);
    }
    window.L.circleMarker([p.lat, p.lon], { radius: 7 }).bindPopup(popup).addTo(map);
    bounds.push([p.lat, p.lon]);
  });
  map.fitBounds(bounds, { padding: [24, 24], maxZoom: 13 });
})();
