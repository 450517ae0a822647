//! TLS for the server's clients and simulators: one cryptography provider (ring) for the whole
//! process, installed before the first client or server configuration is built.

/// Installs ring as the process's rustls provider; later calls change nothing.
pub fn ensure_crypto_provider() {
    // Err means a provider is already installed, which is what this ensures.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
