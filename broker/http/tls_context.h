#pragma once
// Server-side TLS settings shared by the broker's listeners: TLS 1.2 and 1.3 only,
// forward-secret AEAD suites, the deployment's ECDSA P-256 certificate.

#include <boost/asio/ssl/context.hpp>

#include <filesystem>
#include <memory>

#include "common/result.h"

namespace safedesk::broker {

struct TlsFiles {
  std::filesystem::path certificate_chain;  // PEM, leaf first
  std::filesystem::path private_key;        // PEM, mode 0600
  std::filesystem::path client_ca;          // empty: no client certificates asked for
};

// Builds a server context. With a client CA, peers must present a certificate it signed
// (mutual TLS for component APIs); without, none is requested.
Result<std::unique_ptr<boost::asio::ssl::context>> MakeServerTlsContext(const TlsFiles& files);

// The same settings from PEM text (tests generate their certificates in memory).
Result<std::unique_ptr<boost::asio::ssl::context>> MakeServerTlsContextFromPem(
    std::string_view certificate_chain_pem, std::string_view private_key_pem,
    std::string_view client_ca_pem);

}  // namespace safedesk::broker
