// The /api/admin/projects routes of AddAdminRoutes (admin_api.h): administrators read
// and write projects (members, dataset, pool, limits, mask rules) in the store; a write
// needs a fresh step-up (membership is access to data), names the version it was read at
// (a stale form is 409, never a silent overwrite), and is audited as project.updated.
#include <boost/json/array.hpp>

#include "broker/admin_api.h"
#include "broker/projects.h"
#include "broker/requests_common.h"
#include "common/log.h"

namespace safedesk::broker {
namespace {

namespace json = boost::json;

json::object ProjectJson(const ProjectRecord& p) {
  json::array rules;
  for (const MaskRule& rule : p.mask_rules) {
    rules.push_back(json::object{{"wmClass", rule.wm_class_regex}, {"title", rule.title_regex}});
  }
  return json::object{{"name", p.name},
                      {"members", json::array(p.members.begin(), p.members.end())},
                      {"datasetPath", p.dataset_path},
                      {"pool", p.pool},
                      {"maxDurationSeconds", p.max_duration_seconds},
                      {"idleTimeoutSeconds", p.idle_timeout_seconds},
                      {"requireTwoApprovers", p.require_two_approvers},
                      {"watermark", p.watermark},
                      {"allowPasteIn", p.allow_paste_in},
                      {"maskRules", std::move(rules)},
                      {"version", p.version},
                      {"updatedAt", p.updated_at},
                      {"updatedBy", p.updated_by}};
}

Response ListProjects(BrokerContext& ctx, const Request& request, const RequestContext& peer) {
  auto caller = AuthorizeCaller(ctx, request, peer, Capability::kAdmin);
  if (auto* refused = std::get_if<Response>(&caller)) return std::move(*refused);
  auto projects = ctx.store.ListProjects();
  if (!projects) return Unavailable(request, projects.error());
  json::array out;
  for (const ProjectRecord& project : *projects) out.push_back(ProjectJson(project));
  json::array pools;
  for (const config::PoolConfig& pool : ctx.config.pools) pools.emplace_back(pool.name);
  return Ok(request, json::object{{"projects", std::move(out)}, {"pools", std::move(pools)}});
}

std::optional<std::vector<std::string>> NameList(const json::object& body, std::string_view key) {
  const json::value* value = body.if_contains(key);
  if (value == nullptr || !value->is_array() || value->get_array().size() > kMaxProjectMembers) return std::nullopt;
  std::vector<std::string> out;
  for (const json::value& item : value->get_array()) {
    if (!item.is_string() || item.get_string().size() > kMaxNameBytes) return std::nullopt;
    std::string name(item.get_string());
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(std::move(name));
  }
  return out;
}

std::optional<std::vector<MaskRule>> MaskRules(const json::object& body) {
  const json::value* value = body.if_contains("maskRules");
  if (value == nullptr || !value->is_array() || value->get_array().size() > kMaxMaskRules) return std::nullopt;
  std::vector<MaskRule> out;
  for (const json::value& item : value->get_array()) {
    if (!item.is_object()) return std::nullopt;
    auto wm_class = StringField(item.get_object(), "wmClass", kMaxMaskPatternSize, /*allow_empty=*/true);
    auto title = StringField(item.get_object(), "title", kMaxMaskPatternSize, /*allow_empty=*/true);
    if (!wm_class || !title) return std::nullopt;
    out.push_back({std::move(*wm_class), std::move(*title)});
  }
  return out;
}

// The whole project document of a write; the first missing or mistyped field otherwise.
std::variant<ProjectRecord, std::string> ReadProject(const json::object& body) {
  ProjectRecord p;
  auto name = StringField(body, "name", kMaxNameBytes);
  if (!name) return std::string("name");
  p.name = std::move(*name);
  auto members = NameList(body, "members");
  if (!members) return std::string("members");
  p.members = std::move(*members);
  auto dataset = StringField(body, "datasetPath", 4096);
  if (!dataset) return std::string("datasetPath");
  p.dataset_path = std::move(*dataset);
  auto pool = StringField(body, "pool", kMaxNameBytes);
  if (!pool) return std::string("pool");
  p.pool = std::move(*pool);
  auto max_duration = IntField(body, "maxDurationSeconds");
  if (!max_duration) return std::string("maxDurationSeconds");
  p.max_duration_seconds = *max_duration;
  auto idle = IntField(body, "idleTimeoutSeconds");
  if (!idle) return std::string("idleTimeoutSeconds");
  p.idle_timeout_seconds = *idle;
  for (auto [key, field] : {std::pair{"requireTwoApprovers", &p.require_two_approvers},
                            std::pair{"watermark", &p.watermark}, std::pair{"allowPasteIn", &p.allow_paste_in}}) {
    auto flag = BoolField(body, key);
    if (!flag) return std::string(key);
    *field = *flag;
  }
  auto rules = MaskRules(body);
  if (!rules) return std::string("maskRules");
  p.mask_rules = std::move(*rules);
  auto version = IntField(body, "version");
  if (!version || *version < 0) return std::string("version");
  p.version = *version;
  return p;
}

Response PutProject(BrokerContext& ctx, const Request& request, const RequestContext& peer) {
  auto caller = AuthorizeCaller(ctx, request, peer, Capability::kAdmin);
  if (auto* refused = std::get_if<Response>(&caller)) return std::move(*refused);
  const Caller& who = std::get<Caller>(caller);
  if (auto refused = RequireStepUp(ctx, who.session, request, "changing a project")) return std::move(*refused);
  auto body = ParseJsonBody(request);
  if (auto* refused = std::get_if<Response>(&body)) return std::move(*refused);
  auto read = ReadProject(std::get<json::object>(body));
  if (auto* field = std::get_if<std::string>(&read)) return RefuseField(*field, request, "missing or mistyped");
  ProjectRecord& project = std::get<ProjectRecord>(read);
  auto problem = CheckProject(ctx.config, ctx.store, project);
  if (!problem) return Unavailable(request, problem.error());
  if (problem->has_value()) return RefuseField((*problem)->field, request, (*problem)->detail);
  const std::int64_t read_at = project.version;
  project.updated_at = NowSeconds(ctx);
  project.updated_by = who.user.name;
  auto put = ctx.store.PutProject(project, read_at);
  if (!put) return Unavailable(request, put.error());
  if (!*put) {
    return Refuse(http::status::conflict, "conflict", request,
                  "project " + project.name + " changed since version " + std::to_string(read_at));
  }
  project.version = read_at + 1;
  if (auto audited = ctx.audit.Append(ProjectAudit(project)); !audited) return Unavailable(request, audited.error());
  log::Main()->info("project {} version {} written by {}", project.name, project.version, who.user.name);
  return Ok(request, json::object{{"version", project.version}});
}

}  // namespace

void AddAdminProjectRoutes(Router& router, BrokerContext& ctx) {
  router.Add(http::verb::get, "/api/admin/projects", WrapPlain(ctx, ListProjects));
  router.Add(http::verb::post, "/api/admin/projects", WrapPlain(ctx, PutProject));
}

}  // namespace safedesk::broker
