//! Signing the layout: choosing the key (read by an effect), the summary, the signature.

use super::*;

impl App {
    pub(in crate::tui) fn start_sign(&mut self) {
        self.push(Overlay::Input(Input::new(
            "Sign the layout",
            "path of the owner's private key (PKCS#8 PEM; ed25519, RSA or ECDSA); a path with no file offers to generate a new owner key there",
            InputPurpose::SignKey,
            InputKind::Path,
            "",
        )));
    }

    pub(in crate::tui) fn sign_key_read(
        &mut self,
        path: String,
        result: Result<Box<PrivateKey>, SignKeyError>,
    ) {
        match result {
            Ok(k) => {
                self.sign_key = Some(*k);
                self.show_sign_summary();
            }
            Err(SignKeyError::NeedsPassword) => {
                self.push(Overlay::Input(Input::new(
                    "Password",
                    format!("{path} is encrypted"),
                    InputPurpose::SignPassword { path },
                    InputKind::Secret,
                    "",
                )));
            }
            Err(SignKeyError::Missing) => self.push(Overlay::Confirm(Confirm {
                title: "No key there".into(),
                body: vec![
                    format!("There is no file at {path}."),
                    "Generate a new ed25519 owner key there and sign with it?".into(),
                    format!("The private key is written with mode 0600, the public key to {path}.pub: verifiers need that one (--verification-keys). The owner key signs the layout; it is not added to the functionaries' keys."),
                ],
                purpose: ConfirmPurpose::GenerateOwnerKey(path),
                choices: vec![('g', "generate the owner key and sign".into())],
            })),
            Err(SignKeyError::Unreadable(e)) => self.error(format!("{path}: {e}")),
        }
    }

    pub(in crate::tui) fn show_sign_summary(&mut self) {
        let Some(key) = &self.sign_key else { return };
        let l = &self.doc.layout;
        let errors = self
            .lint
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count();
        let mut body = vec![
            format!("Layout: {}", self.doc.title()),
            format!(
                "  {} step(s), {} inspection(s), {} key(s)",
                l.steps.len(),
                l.inspect.len(),
                l.keys.len()
            ),
            format!("  expires {}", l.expires),
            format!(
                "Signer: {} ({})",
                crate::py::prefix(&key.public_key().keyid, 16),
                key.public_key().kind_label()
            ),
            format!(
                "Format: {}",
                match self.sign_format {
                    Format::Legacy => "legacy (signed/signatures, canonical JSON)",
                    Format::Dsse => "DSSE envelope",
                }
            ),
        ];
        if let SignState::Signed(ids) = self.doc.sign_state()
            && self.doc.format == self.sign_format
        {
            body.push(format!(
                "The signature is added to the existing one(s) by {}.",
                ids.iter()
                    .map(|i| crate::py::prefix(i, 8))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if errors > 0 {
            body.push(format!("Warning: lint reports {errors} error(s) (tab 4)."));
        }
        self.push(Overlay::Confirm(Confirm {
            title: "Sign".into(),
            body,
            purpose: ConfirmPurpose::Sign,
            choices: vec![
                ('s', "sign".into()),
                ('f', "switch format (legacy / DSSE)".into()),
            ],
        }));
    }

    pub(in crate::tui) fn finish_sign(&mut self) {
        let Some(key) = self.sign_key.take() else {
            return;
        };
        match self.doc.sign(&key, self.sign_format) {
            Ok(()) => self.info(format!(
                "signed by {} — save with Ctrl-s",
                crate::py::prefix(&key.public_key().keyid, 16)
            )),
            Err(e) => self.error(format!("signing failed: {e}")),
        }
    }
}
