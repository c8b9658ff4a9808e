#pragma once
// TLS settings shared by every listener and every component client: TLS 1.2 and 1.3
// only, forward-secret AEAD suites, the deployment's ECDSA P-256 certificates.

#include <boost/asio/ssl/context.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace safedesk::net {

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

// Client side of mutual TLS (gateway → broker, agent → gateway/broker): the server must
// present a certificate `ca` signed; this side presents its own certificate and key.
struct ClientTlsFiles {
  std::filesystem::path ca;
  std::filesystem::path certificate_chain;
  std::filesystem::path private_key;  // mode 0600
};
Result<std::unique_ptr<boost::asio::ssl::context>> MakeClientTlsContext(const ClientTlsFiles& files);
Result<std::unique_ptr<boost::asio::ssl::context>> MakeClientTlsContextFromPem(std::string_view ca_pem,
                                                                              std::string_view certificate_chain_pem,
                                                                              std::string_view private_key_pem);

// The common name of the verified peer certificate on `ssl`, or empty.
std::string PeerCommonName(const SSL* ssl);

}  // namespace safedesk::net
