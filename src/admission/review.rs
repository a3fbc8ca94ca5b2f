//! The AdmissionReview wire format (`admission.k8s.io/v1` and `v1beta1`, kube-core's types)
//! and the images of the object under review (k8s-openapi's `PodSpec`).

use k8s_openapi::api::core::v1::PodSpec;
use kube_core::DynamicObject;
use kube_core::admission::{AdmissionRequest, AdmissionResponse, AdmissionReview};
use serde_json::Value;

/// The most an AdmissionReview body may be (the API server sends at most 3 MiB objects).
pub const MAX_BODY: usize = 4 << 20;

/// Read an AdmissionReview: its request (`None` when it has none: denied), or an error when
/// the body is no AdmissionReview (the server answers 400).
pub fn parse(body: &[u8]) -> Result<Option<AdmissionRequest<DynamicObject>>, String> {
    if body.len() > MAX_BODY {
        return Err(format!("the body is larger than {} MiB", MAX_BODY >> 20));
    }
    let review: AdmissionReview<DynamicObject> =
        serde_json::from_slice(body).map_err(|e| format!("not an AdmissionReview: {e}"))?;
    if review.types.kind != "AdmissionReview"
        || !matches!(
            review.types.api_version.as_str(),
            "admission.k8s.io/v1" | "admission.k8s.io/v1beta1"
        )
    {
        return Err(format!(
            "not an AdmissionReview of admission.k8s.io/v1 or v1beta1 (kind '{}', apiVersion '{}')",
            review.types.kind, review.types.api_version
        ));
    }
    Ok(review.try_into().ok())
}

/// The denial of a review without a request (there is no uid to answer with).
pub fn refuse_without_request(message: &str) -> Value {
    serde_json::to_value(AdmissionResponse::invalid(message).into_review()).unwrap_or(Value::Null)
}

/// Where a kind keeps its pod spec.
fn pod_spec_path(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "Pod" => &["spec"],
        "Deployment"
        | "ReplicaSet"
        | "StatefulSet"
        | "DaemonSet"
        | "Job"
        | "ReplicationController" => &["spec", "template", "spec"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template", "spec"],
        _ => return None,
    })
}

/// Every image of the object (containers, init containers, ephemeral containers), in that
/// order, each once. An object with no pod spec where its kind has one, or of a kind this
/// webhook does not know, is an error (denied).
pub fn images(kind: &str, object: &Value) -> Result<Vec<String>, String> {
    let path = pod_spec_path(kind)
        .ok_or_else(|| format!("objects of kind {kind} are not checked by this webhook"))?;
    let mut v = object;
    for key in path {
        v = v
            .get(key)
            .ok_or_else(|| format!("the {kind} has no {}", path.join(".")))?;
    }
    let spec: PodSpec = serde_json::from_value(v.clone())
        .map_err(|e| format!("the {kind}'s pod spec does not read: {e}"))?;
    let mut out: Vec<String> = Vec::new();
    let all = spec
        .containers
        .iter()
        .map(|c| c.image.as_deref())
        .chain(
            spec.init_containers
                .iter()
                .flatten()
                .map(|c| c.image.as_deref()),
        )
        .chain(
            spec.ephemeral_containers
                .iter()
                .flatten()
                .map(|c| c.image.as_deref()),
        );
    for image in all {
        let image = image.ok_or_else(|| format!("a container of the {kind} has no image"))?;
        if !out.iter().any(|i| i == image) {
            out.push(image.to_string());
        }
    }
    Ok(out)
}

/// The response review, in the version the request came in.
pub fn respond(
    req: &AdmissionRequest<DynamicObject>,
    allowed: bool,
    message: &str,
    warnings: Vec<String>,
) -> Value {
    let mut resp = AdmissionResponse::from(req);
    if !allowed {
        resp = resp.deny(message);
    }
    if !warnings.is_empty() {
        resp.warnings = Some(warnings);
    }
    serde_json::to_value(resp.into_review()).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(spec: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec})
    }

    #[test]
    fn images_of_every_container_list_and_kind() {
        let spec = json!({
            "containers": [{"name": "a", "image": "r/a@sha256:1"}, {"name": "b", "image": "r/b:1"}],
            "initContainers": [{"name": "i", "image": "r/i:1"}, {"name": "a2", "image": "r/a@sha256:1"}],
            "ephemeralContainers": [{"name": "e", "image": "r/e:1"}],
        });
        let want = ["r/a@sha256:1", "r/b:1", "r/i:1", "r/e:1"];
        assert_eq!(images("Pod", &pod(spec.clone())).unwrap(), want);
        let template = json!({"spec": {"template": {"spec": spec.clone()}}});
        for kind in [
            "Deployment",
            "ReplicaSet",
            "StatefulSet",
            "DaemonSet",
            "Job",
            "ReplicationController",
        ] {
            assert_eq!(images(kind, &template).unwrap(), want, "{kind}");
        }
        let cron = json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": spec}}}}});
        assert_eq!(images("CronJob", &cron).unwrap(), want);
    }

    #[test]
    fn objects_without_images_are_errors() {
        assert!(
            images("Service", &json!({}))
                .unwrap_err()
                .contains("not checked")
        );
        assert!(
            images("Deployment", &json!({"spec": {}}))
                .unwrap_err()
                .contains("no spec.template.spec")
        );
        let no_image = pod(json!({"containers": [{"name": "a"}]}));
        assert!(
            images("Pod", &no_image)
                .unwrap_err()
                .contains("has no image")
        );
        let bad = pod(json!({"containers": "x"}));
        assert!(images("Pod", &bad).unwrap_err().contains("does not read"));
    }

    #[test]
    fn reviews_are_answered_in_their_version() {
        for version in ["admission.k8s.io/v1", "admission.k8s.io/v1beta1"] {
            let body = json!({
                "apiVersion": version, "kind": "AdmissionReview",
                "request": {
                    "uid": "u-1", "kind": {"group": "", "version": "v1", "kind": "Pod"},
                    "resource": {"group": "", "version": "v1", "resource": "pods"},
                    "operation": "CREATE", "userInfo": {}, "dryRun": false,
                    "object": pod(json!({"containers": [{"name": "a", "image": "x"}]})),
                }
            });
            let req = parse(body.to_string().as_bytes()).unwrap().unwrap();
            let out = respond(&req, false, "no", vec!["w".into()]);
            assert_eq!(out["apiVersion"], version);
            assert_eq!(out["kind"], "AdmissionReview");
            assert_eq!(out["response"]["uid"], "u-1");
            assert_eq!(out["response"]["allowed"], false);
            assert_eq!(out["response"]["status"]["message"], "no");
            assert_eq!(out["response"]["warnings"][0], "w");
        }
        assert!(parse(b"{}").is_err());
        assert!(parse(b"not json").is_err());
        let null = json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": null});
        assert!(parse(null.to_string().as_bytes()).unwrap().is_none());
        let refused = refuse_without_request("no request");
        assert_eq!(refused["response"]["allowed"], false);
    }
}
