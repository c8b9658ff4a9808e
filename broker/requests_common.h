#pragma once
// Pieces the researcher, administrator and auditor handlers share: the authenticate-then-
// authorise prologue, fresh ids, the JSON shapes of requests and sessions (API.md), and
// the answer to a store failure.

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "broker/api_support.h"
#include "broker/http/router.h"

namespace safedesk::broker {

// The caller, if logged in (401 otherwise) and holding `capability` (403 otherwise).
OrResponse<Caller> AuthorizeCaller(BrokerContext& ctx, const Request& request, const RequestContext& peer,
                                   Capability capability);

// 128 random bits, hex: request and session ids (they appear in URLs; they are not secrets).
Result<std::string> NewId(Random& random);

std::int64_t NowSeconds(const BrokerContext& ctx);

// 503 for a store, audit or randomness failure; the detail goes to the log.
Response Unavailable(const Request& request, const Error& error);

boost::json::object RequestJson(const RequestRecord& record, const std::vector<DecisionRecord>& decisions,
                                std::int64_t now);
boost::json::object SessionJson(const SessionRecord& record);

// The request's decisions, or a 503 to send instead.
OrResponse<std::vector<DecisionRecord>> DecisionsOf(BrokerContext& ctx, const Request& request,
                                                    const std::string& request_id);

// A handler with nothing to await, as a route.
using PlainHandler = Response (*)(BrokerContext&, const Request&, const RequestContext&);
Handler WrapPlain(BrokerContext& ctx, PlainHandler handler);

}  // namespace safedesk::broker
