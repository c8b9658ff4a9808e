#include "auth/password_checker.h"

#include <memory>
#include <utility>

#include "common/log.h"

namespace safedesk::auth {
namespace {

bool CountsAsFailure(PasswordOutcome outcome) {
  switch (outcome) {
    case PasswordOutcome::kWrongPassword:
    case PasswordOutcome::kUnknownUser:
    case PasswordOutcome::kEmptyPassword:
    case PasswordOutcome::kAccountNotPermitted:
      return true;
    // Not a verdict on the credentials: counting them would extend locks or let an
    // outage lock everyone out.
    case PasswordOutcome::kAccepted:
    case PasswordOutcome::kLockedOut:
    case PasswordOutcome::kUnavailable:
      return false;
  }
  return false;
}

// Lockout and audit get at most `cap` bytes of a (possibly hostile, over-long) name; such
// a name is refused before PAM, so the clipped form never stands for a real account.
std::string Clip(const std::string& text, std::size_t cap) { return text.substr(0, cap); }

}  // namespace

PasswordChecker::PasswordChecker(PasswordVerifier& verifier, Lockout& lockout, WorkerPool& pool)
    : verifier_(verifier), lockout_(lockout), pool_(pool) {}

void PasswordChecker::CheckAsync(std::string user, Secret password, std::string source, Done done) {
  if (auto refused = Refused(Clip(user, kMaxUserBytes), Clip(source, kMaxSourceBytes))) {
    return done(*refused);
  }
  // Malformed names and empty passwords never reach PAM (or a pool thread).
  if (auto refused = PrecheckPasswordRequest(user, password, source)) {
    Account(Clip(user, kMaxUserBytes), Clip(source, kMaxSourceBytes), *refused);
    return done(*refused);
  }
  // std::function needs a copyable callable; the Secret rides in a shared_ptr and is
  // wiped when the task (run or dropped) releases it.
  auto secret = std::make_shared<Secret>(std::move(password));
  auto task = [this, user, source, secret, done] { done(Run(user, std::move(*secret), source)); };
  if (!pool_.Submit(std::move(task))) {
    log::Main()->warn("password: worker pool full, refusing attempt");
    Account(user, source, PasswordOutcome::kUnavailable);
    done(PasswordOutcome::kUnavailable);
  }
}

PasswordOutcome PasswordChecker::Run(const std::string& user, Secret password,
                                     const std::string& source) {
  // Again on the worker: attempts queued before a lock tripped must not reach PAM.
  if (auto refused = Refused(user, source)) return *refused;
  const PasswordOutcome outcome = verifier_.Verify(user, std::move(password), source);
  Account(user, source, outcome);
  return outcome;
}

std::optional<PasswordOutcome> PasswordChecker::Refused(const std::string& user,
                                                        const std::string& source) {
  switch (lockout_.Check(user, source)) {
    case LockState::kOpen:
      return std::nullopt;
    case LockState::kAccountLocked:
    case LockState::kSourceLocked:
      Account(user, source, PasswordOutcome::kLockedOut);
      return PasswordOutcome::kLockedOut;
    case LockState::kTrackingFull:
      log::Main()->error("password: lockout table full of locked subjects, refusing");
      Account(user, source, PasswordOutcome::kUnavailable);
      return PasswordOutcome::kUnavailable;
  }
  return PasswordOutcome::kUnavailable;
}

void PasswordChecker::Account(const std::string& user, const std::string& source,
                              PasswordOutcome outcome) {
  const std::string_view reason = PasswordOutcomeName(outcome);
  if (outcome == PasswordOutcome::kAccepted) {
    // login.success is the broker's to write, once every factor has passed.
    lockout_.RecordSuccess(user);
  } else if (CountsAsFailure(outcome)) {
    lockout_.RecordFailure(user, source, reason);
  } else {
    lockout_.RecordRefusal(user, source, reason);
  }
}

}  // namespace safedesk::auth
