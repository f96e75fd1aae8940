#include "cli/token_command.h"

#include <filesystem>
#include <memory>
#include <ostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/common_flags.h"
#include "nlohmann/json.hpp"
#include "review_api/auth.h"

namespace hashwatch::cli {
namespace {

using review_api::TokenInfo;
using review_api::TokenStore;

// `create` makes the database directory when missing: a new user's first
// token may come before the first `bank create` or `serve`. `list` and
// `revoke` need an existing database.
absl::StatusOr<std::unique_ptr<TokenStore>> OpenTokenStore(
    const std::string& db_dir, bool create_if_missing) {
  if (create_if_missing) {
    std::error_code ec;
    std::filesystem::create_directories(db_dir, ec);
    if (ec) {
      return absl::UnavailableError(absl::StrCat(
          "cannot create database directory ", db_dir, ": ", ec.message()));
    }
  } else if (absl::Status s = CheckDatabaseExists(db_dir); !s.ok()) {
    return s;
  }
  return TokenStore::Open(db_dir + "/tokens.json");
}

int Create(TokenStore& store, const TokenCommandOptions& o, std::ostream& out,
           std::ostream& err) {
  absl::StatusOr<review_api::Role> role = review_api::ParseRole(o.role);
  if (!role.ok()) return Fail(err, role.status());
  absl::StatusOr<std::string> token = store.Create(o.name, *role, o.grants);
  if (!token.ok()) return Fail(err, token.status());
  out << *token << "\n";
  err << "hashwatch: created token \"" << o.name << "\" (role " << o.role
      << "); this is the only time it is shown\n";
  return 0;
}

int List(const TokenStore& store, const TokenCommandOptions& o,
         std::ostream& out, std::ostream& err) {
  absl::StatusOr<std::vector<TokenInfo>> tokens = store.List();
  if (!tokens.ok()) return Fail(err, tokens.status());
  if (!o.json) out << "name\trole\tgrants\tcreated\n";
  for (const TokenInfo& t : *tokens) {
    if (o.json) {
      nlohmann::ordered_json j;
      j["name"] = t.name;
      j["role"] = std::string(review_api::RoleName(t.role));
      j["grants"] = t.grants;
      j["created"] = FormatTimestamp(t.created);
      // Stored text need not be UTF-8: replaced, never thrown on.
      out << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
          << "\n";
    } else {
      out << t.name << "\t" << review_api::RoleName(t.role) << "\t"
          << (t.grants.empty() ? "-" : absl::StrJoin(t.grants, ",")) << "\t"
          << FormatTimestamp(t.created) << "\n";
    }
  }
  return 0;
}

}  // namespace

void SetupTokenCommand(CLI::App& command, TokenCommandOptions& o) {
  CLI::App* token = &command;
  token->require_subcommand(1);
  token
      ->add_option(
          "--db", o.db,
          "Database directory (tokens in <db>/tokens.json); must exist, "
          "except for `token create`, which creates it")
      ->default_val(kDefaultDbDir);
  auto action = [&o](CLI::App* sub, const char* name) {
    sub->callback([&o, name] { o.action = name; });
    sub->fallthrough();  // --db may follow the subcommand
    return sub;
  };

  CLI::App* create =
      action(token->add_subcommand(
                 "create",
                 "Create a token and print it (shown only once); creates the "
                 "database directory if --db names none"),
             "create");
  create
      ->add_option("name", o.name,
                   "Token name: A-Z a-z 0-9 . _ @ -, at most 64")
      ->required();
  create->add_option("--role", o.role, "pipeline, moderator, lead or admin")
      ->required()
      ->check(CLI::IsMember({"pipeline", "moderator", "lead", "admin"}));
  create
      ->add_option("--grant", o.grants, "Extra right: reveal (moderators only)")
      ->check(CLI::IsMember({"reveal"}));

  CLI::App* list =
      action(token->add_subcommand("list", "List tokens (never their secrets)"),
             "list");
  list->add_flag("--json", o.json, "JSON output, one object per line");

  CLI::App* revoke =
      action(token->add_subcommand("revoke", "Delete a token"), "revoke");
  revoke->add_option("name", o.name, "Token name")->required();
}

int RunTokenCommand(const TokenCommandOptions& o, std::ostream& out,
                    std::ostream& err) {
  absl::StatusOr<std::unique_ptr<TokenStore>> store =
      OpenTokenStore(o.db, /*create_if_missing=*/o.action == "create");
  if (!store.ok()) return Fail(err, store.status());
  TokenStore& s = **store;
  if (o.action == "create") return Create(s, o, out, err);
  if (o.action == "list") return List(s, o, out, err);
  if (o.action == "revoke") {
    absl::Status st = s.Revoke(o.name);
    if (!st.ok()) return Fail(err, st);
    out << "revoked token " << o.name << "\n";
    return 0;
  }
  return Fail(err, absl::InternalError("no token subcommand ran"));
}

}  // namespace hashwatch::cli
