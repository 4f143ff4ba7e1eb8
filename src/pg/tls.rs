//! TLS to a server given by URL, as libpq reads `sslmode` and
//! `sslrootcert` (hosted Supabase and its branch databases ask for
//! `sslmode=require`), with rustls. tokio-postgres knows neither the verify
//! modes nor root certificates, so both come off the connection string
//! here and tokio-postgres sees only whether to ask for TLS.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

/// Why TLS cannot be set up as the connection string asks.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("sslmode={0}: expected disable, allow, prefer, require, verify-ca or verify-full")]
    Mode(String),
    #[error(
        "sslmode={0} checks the server's certificate: name its CA with sslrootcert=FILE (or put it in ~/.postgresql/root.crt)"
    )]
    NoRoot(&'static str),
    #[error("sslrootcert {}: {detail}", path.display())]
    Root { path: PathBuf, detail: String },
    #[error("cannot set up TLS: {0}")]
    Setup(String),
}

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Allow,
    /// libpq's default: TLS when the server offers it, unchecked.
    Prefer,
    /// TLS or nothing; the certificate checked only against a root
    /// certificate when one is given (as libpq does).
    Require,
    /// The certificate must chain to the root certificate.
    VerifyCa,
    /// ... and name the host connected to.
    VerifyFull,
}

impl SslMode {
    fn parse(text: &str) -> Result<Self, TlsError> {
        Ok(match text {
            "disable" => Self::Disable,
            "allow" => Self::Allow,
            "prefer" => Self::Prefer,
            "require" => Self::Require,
            "verify-ca" => Self::VerifyCa,
            "verify-full" => Self::VerifyFull,
            other => return Err(TlsError::Mode(other.to_owned())),
        })
    }

    /// What tokio-postgres is told: ask for TLS, insist on it, or not.
    /// (It has no `allow`; `prefer` is the closest.)
    pub fn wire(self) -> tokio_postgres::config::SslMode {
        use tokio_postgres::config::SslMode as Wire;
        match self {
            Self::Disable => Wire::Disable,
            Self::Allow | Self::Prefer => Wire::Prefer,
            Self::Require | Self::VerifyCa | Self::VerifyFull => Wire::Require,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Allow => "allow",
            Self::Prefer => "prefer",
            Self::Require => "require",
            Self::VerifyCa => "verify-ca",
            Self::VerifyFull => "verify-full",
        }
    }
}

/// A connection string with libpq's TLS options taken off, and those options.
#[derive(Debug, PartialEq)]
pub struct Split {
    pub rest: String,
    pub mode: SslMode,
    pub root_cert: Option<PathBuf>,
}

/// Takes `sslmode` and `sslrootcert` off a URL (`postgres://...?sslmode=`)
/// or a key/value string (`host=... sslmode=...`).
pub fn split(url: &str) -> Result<Split, TlsError> {
    let mut mode = None;
    let mut root_cert = None;
    let mut take = |key: &str, value: String| match key {
        "sslmode" => {
            mode = Some(value);
            true
        }
        "sslrootcert" => {
            root_cert = Some(PathBuf::from(value));
            true
        }
        _ => false,
    };
    let rest = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let kept: Vec<&str> = query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .filter(|pair| {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                let value = percent_encoding::percent_decode_str(value).decode_utf8_lossy();
                !take(key, value.into_owned())
            })
            .collect();
        if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        }
    } else {
        let kept: Vec<&str> = key_value_tokens(url)
            .into_iter()
            .filter(|token| {
                let (key, value) = token.split_once('=').unwrap_or((token, ""));
                !take(key.trim(), value.trim().trim_matches('\'').to_owned())
            })
            .collect();
        kept.join(" ")
    };
    let mode = match mode {
        Some(m) => SslMode::parse(&m)?,
        None => SslMode::Prefer,
    };
    Ok(Split {
        rest,
        mode,
        root_cert,
    })
}

/// The `key=value` words of a libpq key/value string; quoted values keep
/// their spaces.
fn key_value_tokens(text: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    let (mut start, mut quoted, mut escaped) = (None, false, false);
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '\'' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if let Some(s) = start.take() {
                    tokens.push(&text[s..i]);
                }
                continue;
            }
            _ => {}
        }
        start.get_or_insert(i);
    }
    if let Some(s) = start {
        tokens.push(&text[s..]);
    }
    tokens
}

/// The TLS connector for `mode`. With a root certificate (`root_cert`, or
/// libpq's default `~/.postgresql/root.crt`), `require` checks the chain as
/// `verify-ca` does; without one only the verify modes refuse to start.
pub fn connector(mode: SslMode, root_cert: Option<&Path>) -> Result<MakeRustlsConnect, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let root = root_cert.map(Path::to_owned).or_else(|| {
        let default = std::env::var_os("HOME").map(|h| Path::new(&h).join(".postgresql/root.crt"));
        default.filter(|p| p.is_file())
    });
    let check_names = match mode {
        SslMode::VerifyFull => Some(true),
        SslMode::VerifyCa => Some(false),
        SslMode::Require if root.is_some() => Some(false),
        _ => None,
    };
    let chain = match check_names {
        None => None,
        Some(_) => {
            let path = root.ok_or(TlsError::NoRoot(mode.name()))?;
            let roots = read_roots(&path)?;
            let verifier =
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
                    .build()
                    .map_err(|e| TlsError::Setup(e.to_string()))?;
            Some(verifier)
        }
    };
    let verifier = Verifier {
        chain,
        check_names: check_names.unwrap_or(false),
        provider: Arc::clone(&provider),
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Setup(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// Every certificate of a PEM file, as trust anchors.
fn read_roots(path: &Path) -> Result<RootCertStore, TlsError> {
    let fail = |detail: String| TlsError::Root {
        path: path.to_owned(),
        detail,
    };
    let mut roots = RootCertStore::empty();
    let certs = CertificateDer::pem_file_iter(path).map_err(|e| fail(e.to_string()))?;
    for cert in certs {
        let cert = cert.map_err(|e| fail(e.to_string()))?;
        roots.add(cert).map_err(|e| fail(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(fail("expected PEM certificates, found none".into()));
    }
    Ok(roots)
}

/// libpq's checks: none (`prefer`, `require` without a root), the chain
/// (`verify-ca`), or the chain and the host name (`verify-full`). The
/// handshake's signatures are checked in every case.
#[derive(Debug)]
struct Verifier {
    chain: Option<Arc<WebPkiServerVerifier>>,
    check_names: bool,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            // The chain is checked before the name: a name error means the
            // chain held, which is all verify-ca asks.
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.check_names => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_options_come_off_urls_and_key_value_strings() {
        let s = split("postgres://u:p@h:5432/db?sslmode=verify-full&sslrootcert=%2Ftmp%2Fca.pem&application_name=x")
            .expect("split");
        assert_eq!(s.rest, "postgres://u:p@h:5432/db?application_name=x");
        assert_eq!(s.mode, SslMode::VerifyFull);
        assert_eq!(s.root_cert, Some(PathBuf::from("/tmp/ca.pem")));
        let s = split("postgresql://h/db?sslmode=require").expect("split");
        assert_eq!(
            (s.rest.as_str(), s.mode),
            ("postgresql://h/db", SslMode::Require)
        );
        let s = split("host=h password='a  b' sslmode=verify-ca sslrootcert='/x y.pem' dbname=d")
            .expect("split");
        assert_eq!(s.rest, "host=h password='a  b' dbname=d");
        assert_eq!(s.mode, SslMode::VerifyCa);
        assert_eq!(s.root_cert, Some(PathBuf::from("/x y.pem")));
        let plain = split("postgres://h/db").expect("split");
        assert_eq!((plain.mode, plain.root_cert), (SslMode::Prefer, None));
        assert!(matches!(
            split("postgres://h/db?sslmode=always"),
            Err(TlsError::Mode(m)) if m == "always"
        ));
    }

    #[test]
    fn verify_modes_need_a_root_certificate_that_reads() {
        let dir = tempfile::tempdir().expect("tempdir");
        let none = dir.path().join("none.pem");
        let err = connector(SslMode::VerifyFull, Some(&none))
            .err()
            .expect("missing file");
        assert!(err.to_string().contains("none.pem"), "{err}");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").expect("write");
        let err = connector(SslMode::VerifyCa, Some(&empty))
            .err()
            .expect("no certificate");
        assert!(err.to_string().contains("found none"), "{err}");
        // Modes that check nothing need nothing.
        assert!(connector(SslMode::Prefer, None).is_ok());
        assert!(connector(SslMode::Disable, None).is_ok());
    }
}
