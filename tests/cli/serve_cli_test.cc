// `hashwatch serve` as a process: the starts it must refuse (a port or a
// database another process holds) and how it says so, --print-config
// without TLS settings, and what a client is told when it picks the wrong
// transport for a real server (TLS against plaintext and the converse).
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/bench/pictures.h"
#include "tests/cli/self_signed.h"
#include "tests/cli/server_process.h"
#include "tests/testing/paths.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace hashwatch {
namespace {

using ::hashwatch::testing::BinaryPath;
using ::hashwatch::testing::Lines;
using ::hashwatch::testing::ProcessResult;
using ::hashwatch::testing::RunProcess;
using ::hashwatch::testing::ServerProcess;
using ::hashwatch::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::StartsWith;

class ServeCliTest : public ::testing::Test {
 protected:
  void TearDown() override { unsetenv("HASHWATCH_TOKEN"); }

  ProcessResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), BinaryPath("hashwatch"));
    return RunProcess(args);
  }

  // An admin token in `db` (made with `hashwatch token create`), set as
  // HASHWATCH_TOKEN for the client commands that follow.
  void UseAdminToken(const std::string& db) {
    ProcessResult r =
        Run({"token", "create", "root", "--role", "admin", "--db", db});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    setenv("HASHWATCH_TOKEN",
           std::string(absl::StripAsciiWhitespace(r.out)).c_str(), 1);
  }

  // The lines of a server's log that are not log records ("<time> LEVEL
  // ..."): what the command itself printed.
  static std::vector<std::string> CommandLines(const ServerProcess& server) {
    std::vector<std::string> lines;
    for (const std::string& line : server.LogLines()) {
      if (absl::StartsWith(line, "hashwatch: ")) lines.push_back(line);
    }
    return lines;
  }

  TempDir dir_;
};

TEST_F(ServeCliTest, SecondServerOnAPortInUseIsRefusedAndTheFirstKeepsServing) {
  const std::string first_db = dir_.Sub("first"),
                    second_db = dir_.Sub("second");
  UseAdminToken(first_db);
  ServerProcess first(first_db);
  ASSERT_FALSE(first.address().empty()) << first.Stop() << "\n" << first.Log();

  // The same fixed port, another database: refused before that database
  // is even created, with one line and nothing else.
  ServerProcess second(second_db, {"--plaintext", "--listen", first.address()});
  EXPECT_THAT(second.address(), ::testing::IsEmpty());
  EXPECT_EQ(second.Stop(), 1);
  EXPECT_THAT(second.LogLines(),
              ElementsAre("hashwatch: address " + first.address() +
                          " is in use by another process"));
  EXPECT_FALSE(std::filesystem::exists(second_db));

  // The first one still answers, with its database (the token is there).
  ProcessResult stats =
      Run({"review", "stats", "--plaintext", "--server", first.address()});
  EXPECT_EQ(stats.exit_code, 0) << stats.err;
  EXPECT_EQ(first.Stop(), 0) << first.Log();
}

TEST_F(ServeCliTest, SecondServerOnADatabaseInUseSaysSoInOneLine) {
  const std::string db = dir_.Sub("db");
  UseAdminToken(db);
  ServerProcess first(db);
  ASSERT_FALSE(first.address().empty()) << first.Stop() << "\n" << first.Log();

  ServerProcess second(db);
  EXPECT_THAT(second.address(), ::testing::IsEmpty());
  EXPECT_EQ(second.Stop(), 1);
  ASSERT_THAT(CommandLines(second),
              ElementsAre("hashwatch: the database " + db +
                          " is in use by another hashwatch process"));
  EXPECT_EQ(second.LogLines().back(),
            CommandLines(second).back());             // the last word
  EXPECT_THAT(second.Log(), Not(HasSubstr("LOCK")));  // no raw RocksDB error

  ProcessResult stats =
      Run({"review", "stats", "--plaintext", "--server", first.address()});
  EXPECT_EQ(stats.exit_code, 0) << stats.err;
  EXPECT_EQ(first.Stop(), 0) << first.Log();
}

// Plaintext on an address other machines can reach is refused before
// anything is opened: one line, no database.
TEST_F(ServeCliTest, PlaintextOnANonLoopbackAddressIsRefused) {
  const std::string db = dir_.Sub("db");
  for (const std::string listen : {"0.0.0.0:0", "[::]:0"}) {
    ProcessResult r =
        Run({"serve", "--plaintext", "--db", db, "--listen", listen});
    EXPECT_EQ(r.exit_code, 1) << listen;
    EXPECT_THAT(Lines(r.err), ElementsAre(StartsWith(
                                  "hashwatch: config: plaintext is allowed "
                                  "only on a loopback address")))
        << r.err;
    EXPECT_THAT(r.err, HasSubstr(listen));
    EXPECT_FALSE(std::filesystem::exists(db)) << listen;
  }
}

TEST_F(ServeCliTest, PrintConfigNeedsNoTlsSettingsButServingDoes) {
  const std::string db = dir_.Sub("db");
  ProcessResult printed = Run({"serve", "--print-config", "--db", db});
  ASSERT_EQ(printed.exit_code, 0) << printed.err;
  EXPECT_EQ(printed.err, "");
  const nlohmann::json config = nlohmann::json::parse(printed.out);
  EXPECT_EQ(config.at("db"), db);
  EXPECT_EQ(config.at("plaintext"), false);
  EXPECT_EQ(config.at("tls").at("cert_file"), "");

  // Half-written TLS settings print too, as they are.
  const std::string file = dir_.Write(
      "server.json",
      R"({"tls": {"cert_file": "cert.pem", "require_client_cert": true}})");
  ProcessResult partial = Run({"serve", "--print-config", "--config", file});
  ASSERT_EQ(partial.exit_code, 0) << partial.err;
  EXPECT_EQ(
      nlohmann::json::parse(partial.out).at("tls").at("require_client_cert"),
      true);
  EXPECT_EQ(nlohmann::json::parse(partial.out).at("tls").at("cert_file"),
            "cert.pem");

  // Serving checks them: one line, and no database is made.
  ProcessResult serve = Run({"serve", "--db", db, "--listen", "127.0.0.1:0"});
  EXPECT_EQ(serve.exit_code, 1);
  EXPECT_EQ(serve.err,
            "hashwatch: config: TLS needs tls.cert_file and tls.key_file (or "
            "plaintext: "
            "true / --plaintext for local development)\n");
  ProcessResult half =
      Run({"serve", "--config", file, "--db", db, "--listen", "127.0.0.1:0"});
  EXPECT_EQ(half.exit_code, 1);
  EXPECT_THAT(Lines(half.err), ElementsAre(HasSubstr("tls.key_file")));
  EXPECT_FALSE(std::filesystem::exists(db));
}

TEST_F(ServeCliTest, TlsClientsOfAPlaintextServerAreToldToPassPlaintext) {
  const std::string db = dir_.Sub("db");
  UseAdminToken(db);
  ServerProcess server(db);
  ASSERT_FALSE(server.address().empty()) << server.Stop() << "\n"
                                         << server.Log();
  const std::string image =
      dir_.Write("picture.png", testing::MakePicture(3, 320, 240, ".png"));
  struct Command {
    std::vector<std::string> args;
    std::string what;  // how the error line names the call
  };
  for (const Command& c :
       std::vector<Command>{{{"scan", image}, "scan"},
                            {{"bank", "list"}, "bank list"},
                            {{"review", "stats"}, "review stats"},
                            {{"report", "list"}, "report list"}}) {
    std::vector<std::string> args = c.args;
    args.insert(args.end(), {"--server", server.address()});
    ProcessResult tls = Run(args);
    EXPECT_EQ(tls.exit_code, 1) << c.what;
    EXPECT_THAT(Lines(tls.err), SizeIs(1)) << tls.err;
    EXPECT_THAT(tls.err,
                StartsWith("hashwatch: " + c.what + ": UNAVAILABLE: "));
    EXPECT_THAT(tls.err, HasSubstr("pass --plaintext")) << tls.err;
    // ... and the advice is right.
    args.push_back("--plaintext");
    ProcessResult plain = Run(args);
    EXPECT_EQ(plain.exit_code, 0) << c.what << ": " << plain.err;
  }
  EXPECT_EQ(server.Stop(), 0) << server.Log();
}

TEST_F(ServeCliTest, PlaintextClientsOfATlsServerAreToldToDropPlaintext) {
  const testing::PemPair pem = testing::MakeSelfSignedCert();
  const std::string cert = dir_.Write("cert.pem", pem.cert);
  const std::string key = dir_.Write("key.pem", pem.key);
  const std::string config = dir_.Write(
      "server.json",
      nlohmann::json({{"tls", {{"cert_file", cert}, {"key_file", key}}}})
          .dump());
  const std::string db = dir_.Sub("db");
  UseAdminToken(db);
  ServerProcess server(db, {"--config", config, "--listen", "127.0.0.1:0"});
  ASSERT_FALSE(server.address().empty()) << server.Stop() << "\n"
                                         << server.Log();

  ProcessResult plain =
      Run({"review", "stats", "--plaintext", "--server", server.address()});
  EXPECT_EQ(plain.exit_code, 1);
  EXPECT_THAT(Lines(plain.err), SizeIs(1)) << plain.err;
  EXPECT_THAT(plain.err, StartsWith("hashwatch: review stats: UNAVAILABLE: "));
  EXPECT_THAT(plain.err, HasSubstr("drop --plaintext")) << plain.err;

  // A TLS client that does not trust the certificate is pointed at
  // --ca-cert: --plaintext would not help against a TLS server.
  ProcessResult untrusted =
      Run({"review", "stats", "--server", server.address()});
  EXPECT_EQ(untrusted.exit_code, 1);
  EXPECT_THAT(Lines(untrusted.err), SizeIs(1)) << untrusted.err;
  EXPECT_THAT(untrusted.err, HasSubstr("--ca-cert")) << untrusted.err;
  EXPECT_THAT(untrusted.err, Not(HasSubstr("--plaintext")));

  ProcessResult tls =
      Run({"review", "stats", "--ca-cert", cert, "--server", server.address()});
  EXPECT_EQ(tls.exit_code, 0) << tls.err;
  EXPECT_EQ(server.Stop(), 0) << server.Log();
}

}  // namespace
}  // namespace hashwatch
