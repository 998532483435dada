//! The report of one run: the machine and its load, every figure measured,
//! and every target with the figure it is judged on. Written as
//! `report.json` and `report.md`.

use std::path::Path;

use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Machine {
    pub cores: usize,
    pub cpu: String,
    pub load_at_start: [f64; 3],
    pub load_at_end: [f64; 3],
}

#[derive(Debug, Serialize)]
pub struct Figure {
    pub step: String,
    pub name: String,
    pub value: f64,
    pub unit: String,
}

#[derive(Debug, Serialize)]
pub struct Target {
    pub name: String,
    pub value: f64,
    pub target: f64,
    pub unit: String,
    pub met: bool,
    /// How the target is computed.
    pub note: String,
    /// Why it is missed, when it is: what the step knows of the cause on
    /// this kind of machine (the measurements behind it are in
    /// docs/performance.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why_missed: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub quick: bool,
    pub started_at: String,
    pub seconds: f64,
    pub valid: bool,
    pub invalid_reason: Option<String>,
    pub machine: Machine,
    pub figures: Vec<Figure>,
    pub targets: Vec<Target>,
}

pub fn load_average() -> [f64; 3] {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut parts = text.split_whitespace().map(|p| p.parse::<f64>().unwrap_or(0.0));
    [parts.next().unwrap_or(0.0), parts.next().unwrap_or(0.0), parts.next().unwrap_or(0.0)]
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("model name").map(|m| m.trim_start_matches([' ', '\t', ':']).to_string()))
        .unwrap_or_else(|| "unknown".into())
}

pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

impl Report {
    pub fn start(quick: bool) -> Self {
        let load = load_average();
        let cores = cores();
        // A machine already busy before we start measures someone else's work.
        let invalid_reason = (load[0] > cores as f64)
            .then(|| format!("load average {:.2} at start on {cores} cores: the machine was busy", load[0]));
        Report {
            quick,
            started_at: chrono_now(),
            seconds: 0.0,
            valid: invalid_reason.is_none(),
            invalid_reason,
            machine: Machine { cores, cpu: cpu_model(), load_at_start: load, load_at_end: [0.0; 3] },
            figures: Vec::new(),
            targets: Vec::new(),
        }
    }

    pub fn figure(&mut self, step: &str, name: &str, value: f64, unit: &str) {
        eprintln!("  {step}: {name} = {value:.3} {unit}");
        self.figures.push(Figure { step: step.into(), name: name.into(), value, unit: unit.into() });
    }

    /// A target met when `value >= target`.
    pub fn at_least(&mut self, name: &str, value: f64, target: f64, unit: &str, note: &str) {
        self.push(name, value, target, unit, value >= target, note);
    }

    /// A target met when `value <= target` (strictly below for `below`).
    pub fn at_most(&mut self, name: &str, value: f64, target: f64, unit: &str, note: &str) {
        self.push(name, value, target, unit, value <= target, note);
    }

    /// A growth (a difference of two measurements) met when
    /// `0 <= value <= target`: a negative one says the measurement is
    /// noise (or the process changed between the two), not that nothing grew.
    pub fn at_most_growth(&mut self, name: &str, value: f64, target: f64, unit: &str, note: &str) {
        self.push(name, value, target, unit, (0.0..=target).contains(&value), note);
        if value < 0.0 {
            self.why_missed("the difference is negative: the two measurements disagree by more than what is measured");
        }
    }

    /// Targets missed so far.
    pub fn missed(&self) -> usize {
        self.targets.iter().filter(|t| !t.met).count()
    }

    fn push(&mut self, name: &str, value: f64, target: f64, unit: &str, met: bool, note: &str) {
        eprintln!("  target {name}: {value:.3} vs {target:.3} {unit}: {}", if met { "met" } else { "MISSED" });
        self.targets.push(Target {
            name: name.into(),
            value,
            target,
            unit: unit.into(),
            met,
            note: note.into(),
            why_missed: None,
        });
    }

    /// Says why the target just recorded is missed, if it is.
    pub fn why_missed(&mut self, why: impl Into<String>) {
        if let Some(last) = self.targets.last_mut()
            && !last.met
            && last.why_missed.is_none()
        {
            last.why_missed = Some(why.into());
        }
    }

    /// Writes the report; with `strict`, an error when a target is missed.
    pub fn finish(mut self, out: &Path, seconds: f64, strict: bool) -> anyhow::Result<()> {
        self.seconds = seconds;
        self.machine.load_at_end = load_average();
        std::fs::create_dir_all(out)?;
        std::fs::write(out.join("report.json"), serde_json::to_string_pretty(&self)?)?;
        std::fs::write(out.join("report.md"), self.markdown())?;
        let missed = self.missed();
        eprintln!("{} targets, {missed} missed; report in {}", self.targets.len(), out.join("report.md").display());
        if strict && missed > 0 {
            let names: Vec<&str> = self.targets.iter().filter(|t| !t.met).map(|t| t.name.as_str()).collect();
            anyhow::bail!("{missed} target(s) missed (--strict): {}", names.join("; "));
        }
        Ok(())
    }

    fn markdown(&self) -> String {
        let mut md = String::new();
        md.push_str(&format!(
            "# Benchmark report{}\n\nStarted {} UTC, {:.0} s. Machine: {} cores, {}. Load average at start {:.2} {:.2} {:.2}, at end {:.2} {:.2} {:.2}.\n\n",
            if self.quick { " (quick: a tenth of the sizes)" } else { "" },
            self.started_at,
            self.seconds,
            self.machine.cores,
            self.machine.cpu,
            self.machine.load_at_start[0],
            self.machine.load_at_start[1],
            self.machine.load_at_start[2],
            self.machine.load_at_end[0],
            self.machine.load_at_end[1],
            self.machine.load_at_end[2],
        ));
        if let Some(reason) = &self.invalid_reason {
            md.push_str(&format!("**This run is invalid: {reason}.**\n\n"));
        }
        md.push_str("## Targets\n\n| target | figure | target | met | how |\n| --- | --- | --- | --- | --- |\n");
        for t in &self.targets {
            let verdict = if t.met {
                "yes".to_string()
            } else if t.target != 0.0 {
                format!("**no** ({:+.0}%)", (t.value / t.target - 1.0) * 100.0)
            } else {
                "**no**".to_string()
            };
            md.push_str(&format!(
                "| {} | {:.3} {} | {:.3} {} | {verdict} | {} |\n",
                t.name, t.value, t.unit, t.target, t.unit, t.note
            ));
        }
        let missed: Vec<&Target> = self.targets.iter().filter(|t| !t.met).collect();
        if !missed.is_empty() {
            md.push_str("\n## Why targets are missed\n\n");
            for t in missed {
                let why = t.why_missed.as_deref().unwrap_or("no explanation known to the benchmark");
                md.push_str(&format!("- **{}**: {why}\n", t.name));
            }
        }
        md.push_str("\n## Figures\n\n| step | figure | value |\n| --- | --- | --- |\n");
        for f in &self.figures {
            md.push_str(&format!("| {} | {} | {:.3} {} |\n", f.step, f.name, f.value, f.unit));
        }
        md
    }
}

fn chrono_now() -> String {
    chrono::Utc::now().format("%Y-%m-%d %H:%M:%S").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_negative_growth_misses_its_target_and_strict_fails_on_a_miss() {
        let mut report = Report::start(true);
        report.at_most_growth("grew little", 0.5, 1.0, "B", "");
        report.at_most_growth("fell", -3.0, 1.0, "B", "");
        report.why_missed("a later, general reason");
        assert_eq!(report.missed(), 1);
        let fell = &report.targets[1];
        assert!(fell.why_missed.as_deref().is_some_and(|w| w.contains("negative")), "{fell:?}");

        let out = tempfile::tempdir().unwrap();
        let mut met = Report::start(true);
        met.at_most("fine", 1.0, 2.0, "ms", "");
        assert!(met.finish(out.path(), 1.0, true).is_ok());
        assert!(report.finish(out.path(), 1.0, false).is_ok(), "without --strict a miss is reported, not an error");
        let mut missed = Report::start(true);
        missed.at_least("slow", 1.0, 2.0, "req/s", "");
        let error = missed.finish(out.path(), 1.0, true).expect_err("--strict fails on a miss");
        assert!(error.to_string().contains("slow"), "{error}");
        assert!(out.path().join("report.md").exists(), "the report is written first");
    }
}
