//! The Verify tab: its view ([`view::ReportView`]: the report, the link browser, lineage,
//! sublayouts) and its commands on the app (inspections, export, inspection links).

pub mod view;

pub use view::*;

use crate::model::envelope::Format;
use crate::tui::action::{ConfirmPurpose, InputPurpose};
use crate::tui::app::{App, Tab};
use crate::tui::dialogs::{Confirm, Input, InputKind, Overlay};
use crate::tui::effect::Effect;
use crate::tui::keys::Cmd;
use std::path::PathBuf;

impl App {
    pub(in crate::tui) fn report_command(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::RunInspections => self.confirm_inspections(),
            Cmd::ExportReport => {
                if self.verify.report.is_none() {
                    return self.error("no report yet: verify first (V)");
                }
                self.push(Overlay::Input(Input::new(
                    "Export the report",
                    "base path: writes <path>.md and <path>.json",
                    InputPurpose::ExportReport,
                    InputKind::Path,
                    "verification-report",
                )));
            }
            Cmd::WriteLinks => self.write_inspection_links(),
            Cmd::OpenSublayout => {
                let report = self.verify.report.clone();
                let name = self.report_view.selected_name(report.as_deref());
                match name {
                    Some(n) if self.report_view.open_sublayout(&n, report.as_deref()) => {}
                    Some(n) => self.info(format!("'{n}' has no verified sublayout")),
                    None => {}
                }
            }
            Cmd::Activate if self.report_view.view == View::Summary => {
                if let Some((item, set, idx)) = self
                    .report_view
                    .selected_target(self.verify.report.as_deref())
                {
                    self.jump_to(Some(&item), set, idx);
                }
            }
            Cmd::Links | Cmd::Lineage if self.verify.report.is_none() => {
                self.info("no report yet: verify first (V)")
            }
            Cmd::Lineage
                if self.report_view.view == View::Summary
                    && self
                        .verify
                        .report
                        .as_deref()
                        .and_then(first_failing_artifact)
                        .is_none() =>
            {
                self.info("lineage follows a failing artifact, and this report has none")
            }
            other => {
                let report = self.verify.report.clone();
                if let Some(req) = self.report_view.command(other, report.as_deref()) {
                    self.what_if_request(req);
                }
            }
        }
    }

    pub(in crate::tui) fn confirm_inspections(&mut self) {
        let l = &self.doc.layout;
        if l.inspect.is_empty() {
            return self.info("the layout has no inspections");
        }
        let mut body = vec![format!(
            "These commands run in {} (timeout {} s):",
            self.chain
                .workdir
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| ".".into()),
            self.chain.inspection_timeout
        )];
        for i in &l.inspect {
            body.push(format!(
                "  {}: {}",
                i.name,
                crate::model::rule::join_line(&i.run_strings())
            ));
        }
        body.push("They run in a scratch copy of that folder; their links stay in memory.".into());
        self.push(Overlay::Confirm(Confirm {
            title: "Run inspections?".into(),
            body,
            purpose: ConfirmPurpose::RunInspections,
            choices: vec![('r', "run them".into())],
        }));
    }

    /// Write the inspections' links (kept in memory) as `<name>.link` into the workdir.
    pub(in crate::tui) fn write_inspection_links(&mut self) {
        let Some(r) = self.verify.report.clone() else {
            return self.error("no report yet");
        };
        let dir = self
            .chain
            .workdir
            .clone()
            .unwrap_or_else(|| PathBuf::from("."));
        let mut files = Vec::new();
        for i in &r.inspections {
            let Some(link) = &i.link else { continue };
            if i.name.contains('/') || i.name.contains("..") {
                continue;
            }
            let md = crate::model::envelope::Metadata::new(
                crate::model::envelope::Payload::Link(link.clone()),
                Format::Legacy,
            );
            files.push((dir.join(format!("{}.link", i.name)), md.to_bytes()));
        }
        if files.is_empty() {
            self.info("no inspection links to write (run the inspections first: R)");
        } else {
            self.effect(Effect::WriteFiles { files });
        }
    }

    pub(in crate::tui) fn export_report(&mut self, base: PathBuf) {
        let Some(mut r) = self.verify.report.as_deref().cloned() else {
            return;
        };
        r.key_names = self.key_names.clone();
        let md = crate::verify::render::markdown(&r);
        let json = serde_json::to_string_pretty(&r).unwrap_or_default();
        self.effect(Effect::WriteFiles {
            files: vec![
                (
                    PathBuf::from(format!("{}.md", base.display())),
                    md.into_bytes(),
                ),
                (
                    PathBuf::from(format!("{}.json", base.display())),
                    json.into_bytes(),
                ),
            ],
        });
    }

    pub(in crate::tui) fn report_view_open_sublayout(&mut self) {
        let Some(name) = self.selected_name() else {
            return;
        };
        let report = self.verify.report.clone();
        if self.report_view.open_sublayout(&name, report.as_deref()) {
            self.tab = Tab::Report;
        } else {
            self.info(format!("'{name}' has no verified sublayout"));
        }
    }
}
