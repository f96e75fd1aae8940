// An in-process hashwatch server for the hardening tests: plaintext on
// 127.0.0.1:0 in a temporary database, with one token per role, and raw
// calls (any method, any bytes) through grpc::GenericStub, so that a test
// can send what no generated stub would: no body at all, or a method of a
// service the server may not offer.
#ifndef HASHWATCH_TESTS_REVIEW_API_TEST_SERVER_H_
#define HASHWATCH_TESTS_REVIEW_API_TEST_SERVER_H_

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "review_api/auth.h"
#include "review_api/server.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hashwatch::review_api::testing {

class TestServer {
 public:
  // Creates the tokens, then starts a server with `config` (db, listen and
  // plaintext are set here).
  explicit TestServer(ServerConfig config) : config_(std::move(config)) {
    config_.db = dir_.Sub("db");
    config_.listen = "127.0.0.1:0";
    config_.plaintext = true;
    config_.shutdown_grace = absl::Seconds(5);
    std::filesystem::create_directories(config_.db);
    auto tokens = TokenStore::Open(config_.db + "/tokens.json", &clock_);
    EXPECT_OK(tokens.status());
    tokens_ = *std::move(tokens);
    admin = *tokens_->Create("root", Role::kAdmin, {});
    pipeline = *tokens_->Create("uploads", Role::kPipeline, {});
    lead = *tokens_->Create("lead", Role::kLead, {});
    auto server = Server::Start(config_, &clock_);
    EXPECT_OK(server.status());
    if (server.ok()) server_ = *std::move(server);
  }
  ~TestServer() {
    if (server_) server_->Shutdown();
  }

  bool started() const { return server_ != nullptr; }
  std::string address() const {
    return absl::StrCat("127.0.0.1:", server_->port());
  }
  Server& server() { return *server_; }
  TokenStore& tokens() { return *tokens_; }

  // A new channel (a connection of its own) to the server.
  std::shared_ptr<grpc::Channel> Channel(
      const grpc::ChannelArguments& args = {}) const {
    return grpc::CreateCustomChannel(address(),
                                     grpc::InsecureChannelCredentials(), args);
  }

  // A context with `token` (none when empty) and a deadline.
  static std::unique_ptr<grpc::ClientContext> As(
      const std::string& token,
      std::chrono::seconds deadline = std::chrono::seconds(60)) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
    ctx->set_deadline(std::chrono::system_clock::now() + deadline);
    return ctx;
  }

  std::string admin, pipeline, lead;

 private:
  hashwatch::testing::TempDir dir_;
  FakeClock clock_;
  ServerConfig config_;
  std::unique_ptr<TokenStore> tokens_;
  std::unique_ptr<Server> server_;
};

// What a raw call got: its status and the messages it received.
struct RawResult {
  grpc::Status status;
  std::vector<std::string> responses;
};

// Calls `method` ("/package.Service/Method") with `requests` as raw
// message bytes, then half-closes unless `half_close` is false (a call
// whose body never comes), reads every answer, and returns the status.
inline RawResult RawCall(const std::shared_ptr<grpc::Channel>& channel,
                         const std::string& method, grpc::ClientContext* ctx,
                         const std::vector<std::string>& requests,
                         bool half_close = true) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  auto call = stub.PrepareCall(ctx, method, &cq);
  void* tag = nullptr;
  bool ok = false;
  auto step = [&](void* want) {
    EXPECT_TRUE(cq.Next(&tag, &ok));
    EXPECT_EQ(tag, want);
    return ok;
  };
  RawResult result;
  call->StartCall(reinterpret_cast<void*>(1));
  bool open = step(reinterpret_cast<void*>(1));
  for (const std::string& r : requests) {
    if (!open) break;
    grpc::Slice slice(r);
    grpc::ByteBuffer buffer(&slice, 1);
    call->Write(buffer, reinterpret_cast<void*>(2));
    open = step(reinterpret_cast<void*>(2));
  }
  if (open && half_close) {
    call->WritesDone(reinterpret_cast<void*>(3));
    step(reinterpret_cast<void*>(3));
  }
  if (half_close) {
    while (true) {
      grpc::ByteBuffer in;
      call->Read(&in, reinterpret_cast<void*>(4));
      if (!step(reinterpret_cast<void*>(4))) break;
      std::vector<grpc::Slice> slices;
      (void)in.Dump(&slices);
      std::string bytes;
      for (const grpc::Slice& s : slices)
        bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
      result.responses.push_back(std::move(bytes));
    }
  }
  call->Finish(&result.status, reinterpret_cast<void*>(5));
  step(reinterpret_cast<void*>(5));
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return result;
}

}  // namespace hashwatch::review_api::testing

#endif  // HASHWATCH_TESTS_REVIEW_API_TEST_SERVER_H_
