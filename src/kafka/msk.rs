//! AWS MSK IAM: the OAUTHBEARER token an MSK cluster's IAM listener takes, made by AWS's
//! signer (`aws-msk-iam-sasl-signer`, cargo feature `msk-iam`) whenever librdkafka asks.
//!
//! The token is a SigV4-presigned `kafka-cluster:Connect` URL for the region, signed with
//! the credentials of a named profile (only it, as the AWS CLI's `--profile`) or of the
//! default chain (environment, profile files, web identity, ECS, EC2 instance metadata),
//! valid 15 minutes; librdkafka asks for a new
//! one at 80 % of that through rdkafka's token-generation callback
//! ([`crate::kafka::context::KbpContext`]).

use rdkafka::client::OAuthToken;

use crate::config::MskIam;

/// The principal librdkafka reports; MSK takes the identity from the signature instead.
const PRINCIPAL: &str = "kbp";

/// A fresh token for `msk`, or why there is none (no credentials, most often).
pub fn token(msk: &MskIam) -> Result<OAuthToken, String> {
    let msk = msk.clone();
    // On a thread of its own: librdkafka may call from a thread that is already inside a
    // tokio runtime (kbp serve), where blocking on another one would panic.
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("AWS MSK IAM: cannot start the signer's runtime: {e}"))?;
        let region = aws_types::region::Region::new(msk.region.clone());
        let signed = runtime.block_on(async {
            match &msk.profile {
                // The profile's credentials only: a named profile wins over the
                // environment's keys, as with the AWS CLI's --profile.
                Some(p) => {
                    let provider = aws_config::profile::ProfileFileCredentialsProvider::builder()
                        .profile_name(p)
                        .build();
                    aws_msk_iam_sasl_signer::generate_auth_token_from_credentials_provider(
                        region,
                        aws_types::sdk_config::SharedCredentialsProvider::new(provider),
                    )
                    .await
                }
                None => aws_msk_iam_sasl_signer::generate_auth_token(region).await,
            }
        });
        let (token, lifetime_ms) = signed.map_err(|e| {
            let from = match &msk.profile {
                Some(p) => format!("profile {p}"),
                None => "the default AWS credential chain".into(),
            };
            format!(
                "AWS MSK IAM: no token for region {} from {from}: {e}",
                msk.region
            )
        })?;
        Ok(OAuthToken {
            token,
            principal_name: PRINCIPAL.into(),
            lifetime_ms,
        })
    })
    .join()
    .map_err(|_| "AWS MSK IAM: the signer panicked".to_string())?
}
