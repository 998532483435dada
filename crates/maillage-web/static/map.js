// The directory's map: every result of the current query that has a
// position (fetched from the box's data-points address; the page's own
// list when that fails), grouped into clusters where they crowd when the
// clustering plugin is there, on tiles from the hub's tile server. A region
// filter frames its region. The list beside it stays the reference; without
// Leaflet or tiles, nothing here runs.
(function () {
  "use strict";
  var box = document.getElementById("map");
  if (!box || typeof window.L === "undefined") {
    return;
  }
  var L = window.L;

  function pagePoints() {
    var points = [];
    document.querySelectorAll("#results li[data-lat][data-lon]").forEach(function (item) {
      points.push({
        lat: parseFloat(item.getAttribute("data-lat")),
        lon: parseFloat(item.getAttribute("data-lon")),
        name: item.getAttribute("data-name"),
        href: item.getAttribute("data-href"),
        hub: item.getAttribute("data-hub")
      });
    });
    return points;
  }

  function regionBounds() {
    var parts = (box.getAttribute("data-bounds") || "").split(",").map(parseFloat);
    if (parts.length !== 4 || !parts.every(isFinite)) {
      return null;
    }
    return [[parts[0], parts[1]], [parts[2], parts[3]]];
  }

  function popup(p) {
    var content = document.createElement("div");
    var link = document.createElement("a");
    link.href = p.href;
    link.textContent = p.name;
    content.appendChild(link);
    if (p.hub) {
      var hub = document.createElement("p");
      hub.className = "hub";
      hub.textContent = p.hub;
      content.appendChild(hub);
    }
    return content;
  }

  function draw(points) {
    points = points.filter(function (p) {
      return isFinite(p.lat) && isFinite(p.lon);
    });
    var region = regionBounds();
    if (points.length === 0 && !region) {
      box.hidden = true;
      return;
    }
    box.textContent = "";
    box.classList.add("map-live");
    var map = L.map(box, { scrollWheelZoom: false });
    L.tileLayer(box.getAttribute("data-tiles"), {
      maxZoom: 18,
      attribution: box.getAttribute("data-attribution") || ""
    }).addTo(map);
    var layer = typeof L.markerClusterGroup === "function"
      ? L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 50 })
      : L.layerGroup();
    var bounds = [];
    points.forEach(function (p) {
      layer.addLayer(L.circleMarker([p.lat, p.lon], { radius: 7 }).bindPopup(popup(p)));
      bounds.push([p.lat, p.lon]);
    });
    layer.addTo(map);
    if (region) {
      map.fitBounds(region, { padding: [8, 8] });
      box.setAttribute("data-view", "region");
    } else {
      map.fitBounds(bounds, { padding: [24, 24], maxZoom: 13 });
      box.setAttribute("data-view", "results");
    }
    box.setAttribute("data-markers", String(points.length));
  }

  var source = box.getAttribute("data-points");
  if (!source || typeof window.fetch !== "function") {
    draw(pagePoints());
    return;
  }
  window.fetch(source, { headers: { Accept: "application/json" }, credentials: "same-origin" })
    .then(function (response) {
      return response.ok ? response.json() : null;
    })
    .then(function (body) {
      draw(body && Array.isArray(body.points) ? body.points : pagePoints());
    }, function () {
      draw(pagePoints());
    });
})();
