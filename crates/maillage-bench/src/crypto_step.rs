//! Step 1, raw limits: RSA-2048 PKCS#1 v1.5 SHA-256 signatures per second
//! on one core, with our crypto (aws-lc-rs) and with the `rsa` crate that
//! activitypub_federation uses, measured now on this machine.

use std::time::{Duration, Instant};

use maillage_federation::crypto::{PrivateKey, PublicKey, generate_key_pair};
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::signature::{RandomizedSigner, Verifier};

use crate::report::Report;

/// Operations per second of `op`, run for `duration`.
fn rate(duration: Duration, mut op: impl FnMut()) -> f64 {
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < duration {
        for _ in 0..16 {
            op();
        }
        n += 16;
    }
    n as f64 / started.elapsed().as_secs_f64()
}

pub struct CryptoLimits {
    pub sign_per_core: f64,
    pub verify_per_core: f64,
    pub rsa_crate_verify_per_core: f64,
}

pub fn run(report: &mut Report, duration: Duration) -> anyhow::Result<CryptoLimits> {
    eprintln!("step 1: crypto limits");
    let (public_pem, private_pem) = generate_key_pair()?;
    let message =
        b"(request-target): post /inbox\nhost: hub.example\ndate: Thu, 26 Nov 2026 02:00:00 GMT\ndigest: SHA-256=x";
    let private = PrivateKey::from_pem(&private_pem)?;
    let public = PublicKey::from_pem(&public_pem)?;
    let signature = private.sign_sha256(message)?;
    let sign = rate(duration, || {
        let _ = private.sign_sha256(message);
    });
    let verify = rate(duration, || {
        assert!(public.verify_sha256(message, &signature));
    });

    let rsa_private = rsa::RsaPrivateKey::from_pkcs8_pem(&private_pem)?;
    let rsa_public = rsa::RsaPublicKey::from_public_key_pem(&public_pem)?;
    let signer = SigningKey::<sha2::Sha256>::new(rsa_private);
    let verifier = VerifyingKey::<sha2::Sha256>::new(rsa_public);
    let rsa_signature = Signature::try_from(signature.as_slice())?;
    let rsa_sign = rate(duration, || {
        let _ = signer.sign_with_rng(&mut rsa::rand_core::OsRng, message);
    });
    let rsa_verify = rate(duration, || {
        assert!(verifier.verify(message, &rsa_signature).is_ok());
    });
    report.figure("crypto", "sign/s per core (aws-lc-rs, ours)", sign, "1/s");
    report.figure("crypto", "verify/s per core (aws-lc-rs, ours)", verify, "1/s");
    report.figure("crypto", "sign/s per core (rsa crate)", rsa_sign, "1/s");
    report.figure("crypto", "verify/s per core (rsa crate)", rsa_verify, "1/s");
    Ok(CryptoLimits { sign_per_core: sign, verify_per_core: verify, rsa_crate_verify_per_core: rsa_verify })
}
