#include "ctl/user_command.h"

#include <crypt.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "auth/factor_secret_box.h"
#include "auth/totp.h"
#include "broker/store/sqlite_store.h"
#include "common/clock.h"
#include "common/encoding.h"
#include "common/random.h"
#include "common/secret.h"
#include "config/cli.h"

namespace safedesk::ctl {
namespace {

constexpr std::size_t kGeneratedPasswordChars = 20;  // ~100 bits from a 32-letter alphabet

struct UserArgs {
  std::string command;
  std::string name;
  std::map<std::string, std::string> options;  // --key value
  bool totp = false;
};

bool ParseArgs(const std::vector<std::string>& args, UserArgs& parsed, std::ostream& err) {
  if (args.empty()) return false;
  parsed.command = args[0];
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--totp") {
      parsed.totp = true;
    } else if (a.rfind("--", 0) == 0 && i + 1 < args.size()) {
      parsed.options[a.substr(2)] = args[++i];
    } else if (a.rfind("--", 0) != 0 && parsed.name.empty()) {
      parsed.name = a;
    } else {
      err << "safedeskctl user: unexpected argument \"" << a << "\"\n";
      return false;
    }
  }
  return true;
}

void Usage(std::ostream& out) {
  out << "Usage: safedeskctl user COMMAND ...\n"
      << "  add NAME --roles R1,R2 [--display-name TEXT] [--password-file FILE] [--totp]\n"
      << "      creates the user; with --password-file also a random password for pam_pwdfile\n"
      << "      (printed once); with --totp also an enrolled TOTP factor (secret printed once)\n"
      << "  passwd NAME --password-file FILE   sets a new random password (printed once)\n"
      << "  disable NAME | enable NAME\n"
      << "  list\n";
}

Result<Secret> GeneratePassword() {
  static constexpr char kAlphabet[] = "abcdefghjkmnpqrstuvwxyz23456789-";
  Secret random = Secret::OfSize(kGeneratedPasswordChars);
  SAFEDESK_TRY(SystemRandom().Fill(random.mutable_bytes()));
  Secret password = Secret::OfSize(kGeneratedPasswordChars);
  for (std::size_t i = 0; i < kGeneratedPasswordChars; ++i) {
    password.mutable_bytes()[i] = static_cast<std::uint8_t>(kAlphabet[random.bytes()[i] % 32]);
  }
  return password;
}

// SHA-512 crypt ("$6$"), which pam_pwdfile verifies through libcrypt.
Result<std::string> HashPassword(const Secret& password) {
  std::vector<std::uint8_t> salt_random(16);
  SAFEDESK_TRY(SystemRandom().Fill(salt_random));
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn("$6$", 0, reinterpret_cast<const char*>(salt_random.data()),
                       static_cast<int>(salt_random.size()), salt, sizeof(salt)) == nullptr) {
    return MakeError(Errc::kInternal, "crypt_gensalt failed");
  }
  auto data = std::make_unique<crypt_data>();
  const Secret text(password.reveal());  // NUL-terminated copy, wiped on scope exit
  const char* hash = crypt_r(reinterpret_cast<const char*>(text.bytes().data()), salt, data.get());
  if (hash == nullptr || hash[0] == '*') return MakeError(Errc::kInternal, "crypt failed");
  std::string out(hash);
  WipeBytes(data.get(), sizeof(crypt_data));
  return out;
}

Result<std::unique_ptr<broker::SqliteStore>> OpenStore(const config::Config& config) {
  std::filesystem::create_directories(config.broker.state_db.parent_path());
  return broker::SqliteStore::Open(config.broker.state_db);
}

int SetPassword(const UserArgs& a, std::ostream& out, std::ostream& err) {
  const auto file = a.options.find("password-file");
  if (file == a.options.end()) return 0;
  auto password = GeneratePassword();
  auto hash = password ? HashPassword(*password) : Result<std::string>(password.error());
  std::string error;
  if (!hash || !WritePasswordEntry(file->second, a.name, *hash, error)) {
    err << "safedeskctl user: cannot set the password: " << (hash ? error : hash.error().message) << "\n";
    return config::kExitConfigError;
  }
  out << "password for " << a.name << ": " << password->reveal() << "   (shown once)\n";
  return 0;
}

int EnrollTotp(const UserArgs& a, const config::Config& config, broker::Store& store, std::ostream& out,
               std::ostream& err) {
  auto box = auth::FactorSecretBox::LoadKeyFile(config.auth.secret_key_file.string(), SystemRandom());
  auth::TotpOptions options;  // the broker's TOTP settings apply at verification; enroll with defaults
  auto enrollment = box ? auth::TotpEnrollment::Begin(a.name, "safedesk", options, SystemRandom())
                        : Result<auth::TotpEnrollment>(box.error());
  auto sealed = enrollment ? box->Seal(a.name, "totp", enrollment->secret()) : Result<std::string>(enrollment.error());
  if (!sealed) {
    err << "safedeskctl user: cannot enroll TOTP: " << sealed.error().message << "\n";
    return config::kExitConfigError;
  }
  broker::FactorRecord factor{.user = a.name, .kind = broker::FactorKind::kTotp, .label = "enrolled by safedeskctl",
                              .confirmed = true, .totp_secret_sealed = *sealed,
                              .created_at = UnixSeconds(SystemClock().Now())};
  if (auto added = store.AddFactor(factor); !added) {
    err << "safedeskctl user: " << added.error().message << "\n";
    return config::kExitConfigError;
  }
  out << "TOTP secret for " << a.name << ": " << Base32Encode(enrollment->secret().bytes()) << "   (shown once)\n"
      << "  " << enrollment->otpauth_uri().reveal() << "\n";
  return 0;
}

std::vector<std::string> SplitRoles(const std::string& text) {
  std::vector<std::string> roles;
  std::stringstream ss(text);
  for (std::string role; std::getline(ss, role, ',');) {
    if (!role.empty()) roles.push_back(role);
  }
  return roles;
}

int AddUser(const UserArgs& a, const config::Config& config, std::ostream& out, std::ostream& err) {
  const auto roles = SplitRoles(a.options.count("roles") ? a.options.at("roles") : "");
  if (a.name.empty() || roles.empty()) {
    Usage(err);
    return config::kExitUsage;
  }
  for (const auto& role : roles) {
    if (config.FindRole(role) == nullptr) {
      err << "safedeskctl user: role \"" << role << "\" is not defined in " << config.source << "\n";
      return config::kExitUsage;
    }
  }
  auto store = OpenStore(config);
  if (!store) {
    err << "safedeskctl user: " << store.error().message << "\n";
    return config::kExitConfigError;
  }
  const std::string display = a.options.count("display-name") ? a.options.at("display-name") : a.name;
  if (auto created = (*store)->CreateUser({a.name, display, roles, false, UnixSeconds(SystemClock().Now())}); !created) {
    err << "safedeskctl user: cannot create " << a.name << ": " << created.error().message << "\n";
    return config::kExitConfigError;
  }
  out << "created user " << a.name << "\n";
  if (int rc = SetPassword(a, out, err); rc != 0) return rc;
  return a.totp ? EnrollTotp(a, config, **store, out, err) : 0;
}

int SetDisabled(const UserArgs& a, const config::Config& config, bool disabled, std::ostream& out, std::ostream& err) {
  auto store = OpenStore(config);
  auto user = store ? (*store)->FindUser(a.name) : Result<std::optional<broker::UserRecord>>(store.error());
  if (!user || !user->has_value()) {
    err << "safedeskctl user: no such user " << a.name << "\n";
    return config::kExitConfigError;
  }
  (*user)->disabled = disabled;
  if (auto updated = (*store)->UpdateUser(**user); !updated) {
    err << "safedeskctl user: " << updated.error().message << "\n";
    return config::kExitConfigError;
  }
  out << (disabled ? "disabled " : "enabled ") << a.name << "\n";
  return 0;
}

int ListUsers(const config::Config& config, std::ostream& out, std::ostream& err) {
  auto store = OpenStore(config);
  auto users = store ? (*store)->ListUsers() : Result<std::vector<broker::UserRecord>>(store.error());
  if (!users) {
    err << "safedeskctl user: " << users.error().message << "\n";
    return config::kExitConfigError;
  }
  for (const auto& u : *users) {
    std::string roles;
    for (const auto& r : u.roles) roles += (roles.empty() ? "" : ",") + r;
    out << u.name << "\t" << roles << (u.disabled ? "\tdisabled" : "") << "\n";
  }
  return 0;
}

}  // namespace

bool WritePasswordEntry(const std::string& file, const std::string& user, const std::string& hash,
                        std::string& error) {
  std::ifstream in(file);
  std::ostringstream kept;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(user + ":", 0) != 0 && !line.empty()) kept << line << "\n";
  }
  kept << user << ":" << hash << "\n";
  const std::string temp = file + ".tmp";
  {
    std::ofstream outfile(temp, std::ios::trunc);
    outfile << kept.str();
    if (!outfile.flush()) {
      error = "cannot write " + temp;
      return false;
    }
  }
  ::chmod(temp.c_str(), 0600);
  if (std::rename(temp.c_str(), file.c_str()) != 0) {
    error = "cannot replace " + file;
    return false;
  }
  return true;
}

int RunUserCommand(const std::vector<std::string>& args, const config::Config& config, std::ostream& out,
                   std::ostream& err) {
  UserArgs a;
  if (!ParseArgs(args, a, err) || a.command == "help") {
    Usage(a.command == "help" ? out : err);
    return a.command == "help" ? 0 : config::kExitUsage;
  }
  if (a.command == "add") return AddUser(a, config, out, err);
  if (a.command == "list") return ListUsers(config, out, err);
  if (a.command == "disable" || a.command == "enable") return SetDisabled(a, config, a.command == "disable", out, err);
  if (a.command == "passwd" && !a.name.empty() && a.options.count("password-file")) return SetPassword(a, out, err);
  Usage(err);
  return config::kExitUsage;
}

}  // namespace safedesk::ctl
