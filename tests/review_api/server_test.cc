// End-to-end tests of the gRPC service over a real (loopback) connection:
// the in-process Server on 127.0.0.1:0 in plaintext, driven through the
// generated stubs with bearer tokens, on benign corpus images.
#include "review_api/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vips/vips.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "hashwatch/v1/bank.grpc.pb.h"
#include "hashwatch/v1/report.grpc.pb.h"
#include "hashwatch/v1/review.grpc.pb.h"
#include "hashwatch/v1/scan.grpc.pb.h"
#include "review_api/auth.h"
#include "review_api/scan_records.h"
#include "tests/bench/pictures.h"
#include "tests/testing/images.h"
#include "tests/testing/paths.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hashwatch::review_api {
namespace {

using ::hashwatch::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// A generated picture (benign, unrelated to other seeds), for tests that
// need any picture, not a particular one of testdata/pictures.
std::string Picture(int seed) {
  return hashwatch::testing::MakePicture(seed, 640, 480);
}

// One of the benign demo pictures in testdata/pictures.
std::string Corpus(const std::string& name) {
  return hashwatch::testing::ReadFileOrDie(
      hashwatch::testing::DemoPicture(name));
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.db = dir_.Sub("db");
    config_.listen = "127.0.0.1:0";
    config_.plaintext = true;
    config_.shutdown_grace = absl::Seconds(5);
    std::filesystem::create_directories(config_.db);
    ASSERT_OK_AND_ASSIGN(
        auto tokens, TokenStore::Open(config_.db + "/tokens.json", &clock_));
    ASSERT_OK_AND_ASSIGN(admin_, tokens->Create("root", Role::kAdmin, {}));
    ASSERT_OK_AND_ASSIGN(pipeline_,
                         tokens->Create("uploads", Role::kPipeline, {}));
    ASSERT_OK_AND_ASSIGN(mod1_, tokens->Create("mod1", Role::kModerator, {}));
    ASSERT_OK_AND_ASSIGN(mod2_, tokens->Create("mod2", Role::kModerator, {}));
    ASSERT_OK_AND_ASSIGN(lead_, tokens->Create("lead", Role::kLead, {}));
    Start();
  }
  void TearDown() override { Stop(); }

  void Start() {
    auto server = Server::Start(config_, &clock_);
    ASSERT_OK(server.status());
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    scan_ = v1::ScanService::NewStub(channel_);
    banks_ = v1::BankService::NewStub(channel_);
    review_ = v1::ReviewService::NewStub(channel_);
    reports_ = v1::ReportService::NewStub(channel_);
  }
  void Stop() {
    scan_.reset();
    banks_.reset();
    review_.reset();
    reports_.reset();
    channel_.reset();
    if (server_) server_->Shutdown();
    server_.reset();
  }

  static std::unique_ptr<grpc::ClientContext> As(const std::string& token) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
    ctx->set_deadline(std::chrono::system_clock::now() +
                      std::chrono::seconds(60));
    return ctx;
  }

  // A bank holding the hashes (PDQ and MD5) of `image`.
  void BankImage(const std::string& bank, const std::string& image,
                 const std::string& category, int auto_report_distance = 10) {
    v1::CreateBankRequest create;
    create.set_name(bank);
    create.mutable_policy()->set_auto_report_distance(auto_report_distance);
    create.mutable_policy()->set_review_distance(31);
    create.mutable_policy()->set_min_quality(50);
    create.mutable_policy()->set_auto_report_enabled(true);
    v1::Bank created;
    grpc::Status s = banks_->CreateBank(As(admin_).get(), create, &created);
    ASSERT_TRUE(s.ok() || s.error_code() == grpc::StatusCode::ALREADY_EXISTS)
        << s.error_message();
    v1::HashResponse h = Hash(image);
    v1::WriteResult result;
    auto ctx = As(admin_);
    auto writer = banks_->AddEntries(ctx.get(), &result);
    v1::AddEntriesRequest add;
    add.set_bank(bank);
    v1::NewEntry* e = add.add_entries();
    e->set_signal(v1::SIGNAL_TYPE_PDQ);
    e->set_value(h.hashes().pdq());
    e->set_category(category);
    e->set_source("test-list-1");
    ASSERT_TRUE(writer->Write(add));
    ASSERT_TRUE(writer->WritesDone());
    ASSERT_TRUE(writer->Finish().ok());
    ASSERT_EQ(result.added(), 1u);
  }

  v1::HashResponse Hash(const std::string& image) {
    v1::HashRequest req;
    req.set_image(image);
    v1::HashResponse resp;
    grpc::Status s = scan_->Hash(As(pipeline_).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  grpc::Status Scan(const std::string& content_id, const std::string& image,
                    v1::ScanResponse* out,
                    const v1::ScanContext& context = {}) {
    v1::ScanRequest req;
    req.set_content_id(content_id);
    req.set_image(image);
    *req.mutable_context() = context;
    return scan_->Scan(As(pipeline_).get(), req, out);
  }

  v1::ScanResponse ScanOk(const std::string& content_id,
                          const std::string& image,
                          const v1::ScanContext& context = {}) {
    v1::ScanResponse resp;
    grpc::Status s = Scan(content_id, image, &resp, context);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  std::vector<v1::LeasedItem> Lease(const std::string& token, int n = 1) {
    v1::LeaseRequest req;
    req.set_max_items(n);
    v1::LeaseResponse resp;
    grpc::Status s = review_->Lease(As(token).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.items().begin(), resp.items().end()};
  }

  grpc::Status Decide(const std::string& token, const v1::LeasedItem& l,
                      v1::DecisionKind kind, v1::DecideResponse* out,
                      const std::string& category = "", bool allow = false) {
    v1::DecideRequest req;
    req.set_item_id(l.item().id());
    req.set_lease_id(l.lease_id());
    req.set_kind(kind);
    req.set_category(category);
    req.set_add_to_allow_list(allow);
    return review_->Decide(As(token).get(), req, out);
  }

  std::vector<v1::Report> Reports() {
    v1::ListReportsResponse resp;
    grpc::Status s =
        reports_->List(As(lead_).get(), v1::ListReportsRequest(), &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.reports().begin(), resp.reports().end()};
  }

  v1::QueueStats QueueStats() {
    v1::QueueStats stats;
    grpc::Status s =
        review_->Stats(As(lead_).get(), v1::QueueStatsRequest(), &stats);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return stats;
  }

  hashwatch::testing::TempDir dir_;
  FakeClock clock_;
  ServerConfig config_;
  std::string admin_, pipeline_, mod1_, mod2_, lead_;
  std::unique_ptr<Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ScanService::Stub> scan_;
  std::unique_ptr<v1::BankService::Stub> banks_;
  std::unique_ptr<v1::ReviewService::Stub> review_;
  std::unique_ptr<v1::ReportService::Stub> reports_;
};

TEST_F(ServerTest, KnownImageIsAutoReportedWithACompleteReport) {
  const std::string image = Corpus("b011.jpg");  // PDQ quality 100
  BankImage("hotline", image, "A");
  v1::ScanContext ctx;
  ctx.set_uploader_id("acct-42");
  ctx.set_uploader_ip("192.0.2.7");
  ctx.mutable_upload_time()->set_seconds(1'699'990'000);
  v1::ScanResponse r = ScanOk("upload-1", image, ctx);
  ASSERT_EQ(r.verdict(), v1::AUTO_REPORTED) << r.reason();
  ASSERT_THAT(r.matches(), SizeIs(1));
  EXPECT_EQ(r.matches(0).bank(), "hotline");
  EXPECT_EQ(r.matches(0).distance(), 0);
  EXPECT_EQ(r.matches(0).category(), "A");
  EXPECT_FALSE(r.report_id().empty());
  EXPECT_EQ(r.hashes().md5().size(), 32u);

  v1::GetReportRequest get;
  get.set_id(r.report_id());
  v1::Report report;
  ASSERT_TRUE(reports_->Get(As(lead_).get(), get, &report).ok());
  EXPECT_EQ(report.content_id(), "upload-1");
  EXPECT_EQ(report.origin(), v1::REPORT_ORIGIN_AUTOMATIC);
  EXPECT_EQ(report.state(), v1::REPORT_STATE_PENDING);
  EXPECT_FALSE(report.viewed_by_platform());
  EXPECT_EQ(report.hashes().md5(), r.hashes().md5());
  EXPECT_EQ(report.hashes().sha256(), r.hashes().sha256());
  EXPECT_EQ(report.hashes().pdq(), r.hashes().pdq());
  ASSERT_THAT(report.evidence(), SizeIs(1));
  EXPECT_EQ(report.evidence(0).bank(), "hotline");
  EXPECT_EQ(report.evidence(0).source(), "test-list-1");
  EXPECT_EQ(report.category(), "A");
  EXPECT_EQ(report.uploader_id(), "acct-42");
  EXPECT_EQ(report.uploader_ip(), "192.0.2.7");
  EXPECT_EQ(report.upload_time().seconds(), 1'699'990'000);
  EXPECT_EQ(
      report.preservation_deadline().seconds() - report.created().seconds(),
      365 * 86400);
  EXPECT_EQ(report.incident_type(), "child_sexual_abuse_material");
  EXPECT_EQ(QueueStats().items(), 0);
}

TEST_F(ServerTest, NearCopyIsQueuedWithABlurredGreyscalePreview) {
  const std::string image = Corpus("b002.jpg");
  BankImage("hotline", image, "B", /*auto_report_distance=*/0);
  const std::string copy =
      hashwatch::testing::TransformImage(image, "shrink_jpeg");
  v1::ScanResponse r = ScanOk("upload-2", copy);
  ASSERT_EQ(r.verdict(), v1::QUEUED_FOR_REVIEW) << r.reason();
  ASSERT_THAT(r.matches(), SizeIs(1));
  ASSERT_GT(r.matches(0).distance(), 0)
      << "the near copy must not be identical";
  EXPECT_LE(r.matches(0).distance(), 31);
  EXPECT_GT(r.item_id(), 0u);
  EXPECT_THAT(Reports(), IsEmpty());

  auto leased = Lease(mod1_);
  ASSERT_THAT(leased, SizeIs(1));
  EXPECT_EQ(leased[0].item().id(), r.item_id());
  EXPECT_EQ(leased[0].item().lane(), "proactive");
  EXPECT_EQ(leased[0].item().kind(), v1::ITEM_KIND_HASH_MATCH);
  EXPECT_EQ(leased[0].item().category(), "B");
  const std::string& preview = leased[0].preview_jpeg();
  ASSERT_GT(preview.size(), 2u);
  VipsImage* decoded =
      vips_image_new_from_buffer(preview.data(), preview.size(), "", nullptr);
  ASSERT_NE(decoded, nullptr);
  EXPECT_EQ(vips_image_get_bands(decoded), 1);  // greyscale
  EXPECT_LE(
      std::max(vips_image_get_width(decoded), vips_image_get_height(decoded)),
      256);
  g_object_unref(decoded);
}

TEST_F(ServerTest, UnrelatedImageLeavesOnlyAnExpiringIdempotencyRecord) {
  BankImage("hotline", Corpus("b001.jpg"), "A");
  const std::string other = Corpus("b003.jpg");
  v1::ScanResponse first = ScanOk("upload-3", other);
  EXPECT_EQ(first.verdict(), v1::NO_MATCH);
  EXPECT_THAT(first.matches(), IsEmpty());
  EXPECT_FALSE(first.replayed());
  EXPECT_THAT(Reports(), IsEmpty());
  EXPECT_EQ(QueueStats().items(), 0);

  v1::ScanResponse again = ScanOk("upload-3", other);
  EXPECT_EQ(again.verdict(), v1::NO_MATCH);
  EXPECT_TRUE(again.replayed());
  EXPECT_TRUE(again.hashes().pdq().empty())
      << "a no-match record keeps no hashes";

  clock_.Advance(config_.scan.no_match_record_ttl + absl::Seconds(1));
  v1::ScanResponse later = ScanOk("upload-3", other);
  EXPECT_FALSE(later.replayed()) << "the record expired";
  EXPECT_EQ(later.verdict(), v1::NO_MATCH);
}

// Over gRPC with the server's defaults: a bordered copy of a listed
// picture is reported along "unbordered"; the picture on a page goes to a
// moderator along its region; another picture in the same frame matches
// nothing.
TEST_F(ServerTest, RecoveredPicturesAreRoutedByTheBanksPolicy) {
  const std::string listed = Corpus("b011.jpg");
  BankImage("hotline", listed, "A");
  v1::ScanResponse bordered = ScanOk(
      "bordered", hashwatch::testing::TransformImage(listed, "border_jpeg"));
  ASSERT_EQ(bordered.verdict(), v1::AUTO_REPORTED) << bordered.reason();
  EXPECT_EQ(bordered.matches(0).path(), "unbordered");
  v1::GetReportRequest get;
  get.set_id(bordered.report_id());
  v1::Report report;
  ASSERT_TRUE(reports_->Get(As(lead_).get(), get, &report).ok());
  EXPECT_EQ(report.evidence(0).path(), "unbordered");

  v1::ScanResponse page =
      ScanOk("page", hashwatch::testing::TransformImage(listed, "page_png"));
  ASSERT_EQ(page.verdict(), v1::QUEUED_FOR_REVIEW) << page.reason();
  EXPECT_THAT(page.matches(0).path(), ::testing::StartsWith("region "));
  std::vector<v1::LeasedItem> leased = Lease(mod1_);
  ASSERT_THAT(leased, SizeIs(1));
  EXPECT_EQ(leased[0].item().matches(0).path(), page.matches(0).path());

  const std::string other = Corpus("b020.jpg");
  for (const char* op : {"border_jpeg", "page_png"}) {
    v1::ScanResponse r = ScanOk(std::string("other-") + op,
                                hashwatch::testing::TransformImage(other, op));
    EXPECT_EQ(r.verdict(), v1::NO_MATCH) << op << ": " << r.reason();
  }
}

// Own material over gRPC: an item a moderator confirms is banked with its
// signature; a cropped and captioned copy of it then matches by local
// features and goes to review (never an automatic report); a different
// picture under the same caption matches nothing.
TEST_F(ServerTest, ACroppedAndCaptionedCopyOfAConfirmedItemMatchesIt) {
  const std::string picture = Corpus("b011.jpg");
  v1::ScanContext reported;
  reported.set_user_report(true);
  v1::ScanResponse first = ScanOk("original", picture, reported);
  ASSERT_EQ(first.verdict(), v1::QUEUED_FOR_REVIEW) << first.reason();
  std::vector<v1::LeasedItem> leased = Lease(mod1_);
  ASSERT_THAT(leased, SizeIs(1));
  v1::DecideResponse decided;
  ASSERT_TRUE(
      Decide(mod1_, leased[0], v1::DECISION_KIND_CONFIRM, &decided, "A").ok());
  EXPECT_THAT(decided.banked(),
              ::testing::Contains("internal-confirmed:signature"));

  const std::string copy =
      hashwatch::testing::TransformImage(picture, "crop_caption_jpeg");
  v1::ScanResponse found = ScanOk("copy", copy);
  ASSERT_EQ(found.verdict(), v1::QUEUED_FOR_REVIEW) << found.reason();
  bool by_features = false;
  for (const v1::Match& m : found.matches()) {
    if (absl::StartsWith(m.path(), "local features")) {
      by_features = true;
      EXPECT_EQ(m.bank(), "internal-confirmed");
    }
  }
  EXPECT_TRUE(by_features) << found.reason();
  EXPECT_THAT(found.reason(), HasSubstr("local features"));

  const std::string other = hashwatch::testing::TransformImage(
      Corpus("b020.jpg"), "crop_caption_jpeg");
  v1::ScanResponse unrelated = ScanOk("other-captioned", other);
  EXPECT_EQ(unrelated.verdict(), v1::NO_MATCH) << unrelated.reason();
}

// BankService.AddImages: pictures become own material, each on its own;
// bad pictures get their error and write nothing; bad requests are refused.
TEST_F(ServerTest, AddImagesBanksOwnMaterialPicturesOneByOne) {
  v1::CreateBankRequest create;
  create.set_name("own");
  create.mutable_policy()->set_auto_report_distance(10);
  create.mutable_policy()->set_review_distance(31);
  create.mutable_policy()->set_auto_report_enabled(true);
  v1::Bank bank;
  ASSERT_TRUE(banks_->CreateBank(As(admin_).get(), create, &bank).ok());

  const std::string picture = Corpus("b011.jpg");
  v1::AddImagesRequest req;
  req.set_bank("own");
  req.set_category("A");
  auto add = [&](const std::string& name, const std::string& content) {
    v1::AddImagesRequest::Image* image = req.add_images();
    image->set_name(name);
    image->set_content(content);
  };
  add("good.jpg", picture);
  add("text.txt", "not a picture at all");
  add("tiny.png", hashwatch::testing::MakePattern(40, 40, 3, ".png"));
  add("empty.jpg", "");
  v1::AddImagesResponse resp;
  grpc::Status s = banks_->AddImages(As(admin_).get(), req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_THAT(resp.results(), SizeIs(4));
  EXPECT_EQ(resp.added(), 1);
  EXPECT_EQ(resp.failed(), 3);
  EXPECT_TRUE(resp.results(0).error().empty()) << resp.results(0).error();
  EXPECT_TRUE(resp.results(0).added());
  EXPECT_EQ(resp.results(0).sha256().size(), 64u);
  EXPECT_THAT(resp.results(1).error(), ::testing::Not(IsEmpty()));
  EXPECT_THAT(resp.results(2).error(), HasSubstr("64"));
  EXPECT_THAT(resp.results(3).error(), HasSubstr("empty"));

  // Only the good picture's four hashes were written.
  v1::GetStatsRequest stats_req;
  stats_req.set_name("own");
  v1::BankStats stats;
  ASSERT_TRUE(banks_->GetStats(As(admin_).get(), stats_req, &stats).ok());
  EXPECT_EQ(stats.entries(), 4);

  // Idempotent per picture.
  v1::AddImagesRequest again;
  again.set_bank("own");
  *again.add_images() = req.images(0);
  ASSERT_TRUE(banks_->AddImages(As(admin_).get(), again, &resp).ok());
  EXPECT_EQ(resp.added(), 0);
  EXPECT_FALSE(resp.results(0).added());
  ASSERT_TRUE(banks_->GetStats(As(admin_).get(), stats_req, &stats).ok());
  EXPECT_EQ(stats.entries(), 4);

  // A cropped, captioned copy now goes to review by its local features.
  v1::ScanResponse found = ScanOk(
      "copy", hashwatch::testing::TransformImage(picture, "crop_caption_jpeg"));
  EXPECT_EQ(found.verdict(), v1::QUEUED_FOR_REVIEW) << found.reason();

  // A banked picture under a caption, and a different picture of the same
  // size under the very same caption bar: the shared text lines up, but
  // is no match.
  v1::AddImagesRequest captioned;
  captioned.set_bank("own");
  v1::AddImagesRequest::Image* banked = captioned.add_images();
  banked->set_name("captioned.jpg");
  banked->set_content(
      hashwatch::testing::TransformImage(Picture(11), "crop_caption_jpeg"));
  ASSERT_TRUE(banks_->AddImages(As(admin_).get(), captioned, &resp).ok());
  ASSERT_EQ(resp.added(), 1) << resp.results(0).error();
  v1::ScanResponse lookalike = ScanOk(
      "same-caption",
      hashwatch::testing::TransformImage(Picture(12), "crop_caption_jpeg"));
  EXPECT_EQ(lookalike.verdict(), v1::NO_MATCH) << lookalike.reason();

  // Bad requests.
  v1::AddImagesRequest bad = again;
  bad.set_bank("missing");
  EXPECT_EQ(banks_->AddImages(As(admin_).get(), bad, &resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
  bad = again;
  bad.clear_images();
  s = banks_->AddImages(As(admin_).get(), bad, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("images"));
  bad = again;
  bad.mutable_images(0)->set_name("a\nforged log line");
  s = banks_->AddImages(As(admin_).get(), bad, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("control character"));
  EXPECT_EQ(banks_->AddImages(As(mod1_).get(), again, &resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(ServerTest, NovelFlaggedItemsAreQueuedInTheirLanes) {
  v1::ScanContext classifier;
  classifier.set_classifier_score(0.97);
  v1::ScanResponse a = ScanOk("novel-1", Corpus("b004.jpg"), classifier);
  ASSERT_EQ(a.verdict(), v1::QUEUED_FOR_REVIEW);
  EXPECT_TRUE(a.novel());
  v1::ScanContext reported;
  reported.set_user_report(true);
  v1::ScanResponse b = ScanOk("novel-2", Corpus("b020.jpg"), reported);
  ASSERT_EQ(b.verdict(), v1::QUEUED_FOR_REVIEW);
  v1::ScanContext low;
  low.set_classifier_score(0.2);
  EXPECT_EQ(ScanOk("novel-3", Corpus("b006.jpg"), low).verdict(), v1::NO_MATCH);

  v1::GetItemRequest get;
  v1::ReviewItem item;
  get.set_item_id(a.item_id());
  // Need to know: a moderator reads only the items leased to them.
  grpc::Status denied = review_->GetItem(As(mod1_).get(), get, &item);
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(denied.error_message(), HasSubstr("not leased to you"));
  ASSERT_TRUE(review_->GetItem(As(lead_).get(), get, &item).ok());
  EXPECT_EQ(item.lane(), "proactive");
  EXPECT_EQ(item.kind(), v1::ITEM_KIND_NOVEL);
  EXPECT_DOUBLE_EQ(item.context().classifier_score(), 0.97);
  get.set_item_id(b.item_id());
  ASSERT_TRUE(review_->GetItem(As(lead_).get(), get, &item).ok());
  EXPECT_EQ(item.lane(), "user_report");

  // A non-image case from a pipeline, in its lane.
  v1::EnqueueCaseRequest case_req;
  case_req.set_content_id("case-1");
  case_req.set_summary("account asks a minor for photos in chat");
  case_req.mutable_context()->add_signals("grooming");
  v1::EnqueueCaseResponse case_resp;
  ASSERT_TRUE(
      review_->EnqueueCase(As(pipeline_).get(), case_req, &case_resp).ok());
  get.set_item_id(case_resp.item_id());
  ASSERT_TRUE(review_->GetItem(As(lead_).get(), get, &item).ok());
  EXPECT_EQ(item.kind(), v1::ITEM_KIND_CASE);
  EXPECT_EQ(item.summary(), "account asks a minor for photos in chat");
  EXPECT_EQ(QueueStats().waiting(), 3);
}

TEST_F(ServerTest, ConfirmFilesAReportSeenOnWatchAndBanksTheHashes) {
  const std::string image = Corpus("b007.jpg");
  BankImage("hotline", image, "B", /*auto_report_distance=*/0);
  const std::string copy =
      hashwatch::testing::TransformImage(image, "shrink_jpeg");

  // A submitter watching from the start.
  grpc::ClientContext watch_ctx;
  watch_ctx.AddMetadata("authorization", "Bearer " + lead_);
  v1::WatchReportsRequest watch_req;
  auto watch = reports_->Watch(&watch_ctx, watch_req);

  // A cursor this server never gave (2^64-1 would wrap to "everything").
  for (const uint64_t bad : {uint64_t{5}, ~uint64_t{0}}) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + lead_);
    v1::WatchReportsRequest req;
    req.set_after_sequence(bad);
    auto stream = reports_->Watch(&ctx, req);
    v1::Report none;
    EXPECT_FALSE(stream->Read(&none));
    grpc::Status s = stream->Finish();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::OUT_OF_RANGE) << bad;
    EXPECT_THAT(s.error_message(), HasSubstr("beyond the last report"));
  }

  ASSERT_EQ(ScanOk("upload-7", copy).verdict(), v1::QUEUED_FOR_REVIEW);
  auto leased = Lease(mod1_);
  ASSERT_THAT(leased, SizeIs(1));
  v1::DecideResponse decided;
  ASSERT_TRUE(
      Decide(mod1_, leased[0], v1::DECISION_KIND_CONFIRM, &decided, "A").ok());
  EXPECT_FALSE(decided.report_id().empty());
  EXPECT_THAT(
      decided.banked(),
      ElementsAre("internal-confirmed:pdq", "internal-confirmed:md5",
                  "internal-confirmed:sha1", "internal-confirmed:sha256",
                  "internal-confirmed:signature"));

  v1::Report seen;
  ASSERT_TRUE(watch->Read(&seen));
  EXPECT_EQ(seen.id(), decided.report_id());
  EXPECT_EQ(seen.origin(), v1::REPORT_ORIGIN_MODERATOR_CONFIRM);
  EXPECT_TRUE(seen.viewed_by_platform());
  EXPECT_EQ(seen.viewed_by(), "mod1");
  EXPECT_EQ(seen.category(), "A");
  EXPECT_EQ(seen.review_item_id(), leased[0].item().id());
  watch_ctx.TryCancel();
  v1::Report ignored;
  while (watch->Read(&ignored)) {
  }
  watch->Finish();

  // The next copy of the same file is caught automatically.
  v1::ScanResponse next = ScanOk("upload-7b", copy);
  EXPECT_EQ(next.verdict(), v1::AUTO_REPORTED) << next.reason();
  bool platform_bank = false;
  for (const auto& m : next.matches())
    platform_bank |= m.bank() == "internal-confirmed";
  EXPECT_TRUE(platform_bank);
}

TEST_F(ServerTest, RejectWithAllowStopsTheMatch) {
  const std::string image = Corpus("b008.jpg");
  BankImage("hotline", image, "C", /*auto_report_distance=*/0);
  const std::string copy =
      hashwatch::testing::TransformImage(image, "shrink_jpeg");
  ASSERT_EQ(ScanOk("fp-1", copy).verdict(), v1::QUEUED_FOR_REVIEW);
  auto leased = Lease(mod1_);
  ASSERT_THAT(leased, SizeIs(1));
  v1::DecideResponse decided;
  ASSERT_TRUE(Decide(mod1_, leased[0], v1::DECISION_KIND_REJECT, &decided, "",
                     /*allow=*/true)
                  .ok());
  EXPECT_THAT(decided.banked(), SizeIs(4));
  v1::ScanResponse again = ScanOk("fp-2", copy);
  EXPECT_EQ(again.verdict(), v1::ALLOWED) << again.reason();
  ASSERT_THAT(again.matches(), SizeIs(1));
  EXPECT_TRUE(again.matches(0).covered_by_allow());
  EXPECT_EQ(QueueStats().waiting(), 0);
  EXPECT_THAT(Reports(), IsEmpty());
}

TEST_F(ServerTest, TokensAndRolesAreEnforced) {
  v1::LeaseRequest lease;
  v1::LeaseResponse leased;
  EXPECT_EQ(review_->Lease(As("").get(), lease, &leased).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(
      review_->Lease(As("hwt_" + std::string(64, '0')).get(), lease, &leased)
          .error_code(),
      grpc::StatusCode::UNAUTHENTICATED);
  grpc::Status s = review_->Lease(As(pipeline_).get(), lease, &leased);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("pipeline"));
  v1::CreateBankRequest create;
  create.set_name("x");
  v1::Bank bank;
  EXPECT_EQ(banks_->CreateBank(As(mod1_).get(), create, &bank).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::ScanResponse scanned;
  EXPECT_EQ(Scan("c", Corpus("b001.jpg"), &scanned).error_code(),
            grpc::StatusCode::OK);
  v1::ScanRequest scan_req;
  scan_req.set_content_id("m");
  scan_req.mutable_hashes()->set_md5(std::string(32, 'a'));
  EXPECT_EQ(scan_->Scan(As(mod1_).get(), scan_req, &scanned).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // A moderator can only decide their own lease; the item stays leased.
  v1::ScanContext flagged;
  flagged.set_classifier_score(0.99);
  ASSERT_EQ(ScanOk("novel", Corpus("b009.jpg"), flagged).verdict(),
            v1::QUEUED_FOR_REVIEW);
  auto mine = Lease(mod1_);
  ASSERT_THAT(mine, SizeIs(1));
  v1::DecideResponse decided;
  s = Decide(mod2_, mine[0], v1::DECISION_KIND_CONFIRM, &decided, "A");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << s.error_message();
  EXPECT_THAT(Reports(), IsEmpty());
  v1::GetItemRequest get;
  get.set_item_id(mine[0].item().id());
  v1::ReviewItem item;
  ASSERT_TRUE(review_->GetItem(As(mod1_).get(), get, &item).ok());
  EXPECT_EQ(item.state(), v1::ITEM_STATE_LEASED);
  EXPECT_EQ(item.lease_holder(), "mod1");

  // Reveal: a plain moderator may not; a lead may, and it is audited.
  v1::RevealRequest reveal;
  reveal.set_item_id(item.id());
  reveal.set_reason("check for a second victim");
  v1::RevealResponse revealed;
  EXPECT_EQ(review_->Reveal(As(mod1_).get(), reveal, &revealed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(review_->Reveal(As(lead_).get(), reveal, &revealed).ok());
  VipsImage* decoded = vips_image_new_from_buffer(
      revealed.image_jpeg().data(), revealed.image_jpeg().size(), "", nullptr);
  ASSERT_NE(decoded, nullptr);
  EXPECT_EQ(vips_image_get_bands(decoded), 3);  // the unblurred colour preview
  g_object_unref(decoded);
  ASSERT_TRUE(review_->GetItem(As(mod1_).get(), get, &item).ok());
  bool audited = false;
  for (const auto& h : item.history())
    audited |= h.event() == "reveal" && h.actor() == "lead";
  EXPECT_TRUE(audited);

  // Decided: the unblurred preview is deleted, and Reveal says why.
  ASSERT_TRUE(Decide(mod1_, mine[0], v1::DECISION_KIND_REJECT, &decided).ok());
  grpc::Status gone = review_->Reveal(As(lead_).get(), reveal, &revealed);
  EXPECT_EQ(gone.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(gone.error_message(), HasSubstr("decided"));
  Stop();
  {
    ASSERT_OK_AND_ASSIGN(
        auto records,
        ScanRecords::Open({.path = config_.db + "/scans"}, &clock_));
    EXPECT_THAT(records->GetRevealPreview(item.id()),
                hashwatch::testing::StatusIs(absl::StatusCode::kNotFound));
  }
  Start();

  // A revoked token stops working at once.
  ASSERT_OK_AND_ASSIGN(auto tokens,
                       TokenStore::Open(config_.db + "/tokens.json", &clock_));
  ASSERT_OK(tokens->Revoke("mod2"));
  EXPECT_EQ(review_->Lease(As(mod2_).get(), lease, &leased).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

// Revoking a token ends the Watch streams it opened.
TEST_F(ServerTest, RevokingATokenEndsItsOpenWatch) {
  ASSERT_OK_AND_ASSIGN(auto tokens,
                       TokenStore::Open(config_.db + "/tokens.json", &clock_));
  ASSERT_OK_AND_ASSIGN(const std::string submitter,
                       tokens->Create("submitter", Role::kLead, {}));
  auto ctx = As(submitter);
  v1::WatchReportsRequest req;
  auto watch = reports_->Watch(ctx.get(), req);
  // A first report delivered shows the stream is open on the server.
  BankImage("hotline", Picture(11), "A");
  ASSERT_EQ(ScanOk("w-1", Picture(11)).verdict(), v1::AUTO_REPORTED);
  v1::Report seen;
  ASSERT_TRUE(watch->Read(&seen));
  ASSERT_OK(tokens->Revoke("submitter"));
  EXPECT_FALSE(watch->Read(&seen));
  const grpc::Status s = watch->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << s.error_message();
}

TEST_F(ServerTest, ScanIsIdempotentByContentIdAndStreamsAnswerInOrder) {
  const std::string image = Corpus("b011.jpg");  // PDQ quality 100
  BankImage("hotline", image, "A");
  v1::ScanResponse first = ScanOk("dup", image);
  v1::ScanResponse second = ScanOk("dup", image);
  ASSERT_EQ(first.verdict(), v1::AUTO_REPORTED);
  EXPECT_EQ(second.verdict(), v1::AUTO_REPORTED);
  EXPECT_EQ(second.report_id(), first.report_id());
  EXPECT_TRUE(second.replayed());
  EXPECT_THAT(Reports(), SizeIs(1));

  auto ctx = As(pipeline_);
  auto stream = scan_->ScanStream(ctx.get());
  const std::string hashes[] = {first.hashes().pdq(), "not-hex",
                                std::string(64, 'f')};
  for (int i = 0; i < 3; ++i) {
    v1::ScanRequest req;
    req.set_content_id(absl::StrCat("s", i));
    req.mutable_hashes()->set_pdq(hashes[i]);
    req.mutable_hashes()->set_pdq_quality(100);
    ASSERT_TRUE(stream->Write(req));
  }
  stream->WritesDone();
  std::vector<v1::ScanResponse> answers;
  v1::ScanResponse resp;
  while (stream->Read(&resp)) answers.push_back(resp);
  ASSERT_TRUE(stream->Finish().ok());
  ASSERT_THAT(answers, SizeIs(3));
  EXPECT_EQ(answers[0].content_id(), "s0");
  EXPECT_EQ(answers[0].verdict(), v1::AUTO_REPORTED);
  EXPECT_EQ(answers[1].content_id(), "s1");
  EXPECT_EQ(answers[1].error().code(),
            static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_THAT(answers[1].error().message(), HasSubstr("hashes.pdq"));
  EXPECT_EQ(answers[2].verdict(), v1::NO_MATCH);
}

TEST_F(ServerTest, RestartKeepsReportsItemsAndBanks) {
  const std::string image = Corpus("b011.jpg");  // PDQ quality 100
  BankImage("hotline", image, "A");
  v1::ScanResponse reported = ScanOk("keep-1", image);
  ASSERT_EQ(reported.verdict(), v1::AUTO_REPORTED);
  v1::ScanContext flagged;
  flagged.set_classifier_score(0.99);
  v1::ScanResponse queued = ScanOk("keep-2", Corpus("b010.jpg"), flagged);
  ASSERT_EQ(queued.verdict(), v1::QUEUED_FOR_REVIEW);

  Stop();
  Start();
  v1::GetReportRequest get;
  get.set_id(reported.report_id());
  v1::Report report;
  EXPECT_TRUE(reports_->Get(As(lead_).get(), get, &report).ok());
  v1::GetItemRequest get_item;
  get_item.set_item_id(queued.item_id());
  v1::ReviewItem item;
  EXPECT_TRUE(review_->GetItem(As(lead_).get(), get_item, &item).ok());
  v1::ListBanksResponse banks;
  ASSERT_TRUE(
      banks_->ListBanks(As(admin_).get(), v1::ListBanksRequest(), &banks).ok());
  std::vector<std::string> names;
  for (const auto& b : banks.banks()) names.push_back(b.name());
  EXPECT_THAT(names,
              ElementsAre("hotline", "internal-allow", "internal-confirmed"));
  v1::ScanResponse replay = ScanOk("keep-1", image);
  EXPECT_TRUE(replay.replayed());
  EXPECT_EQ(replay.report_id(), reported.report_id());
  v1::ScanResponse fresh = ScanOk("keep-3", image);
  EXPECT_EQ(fresh.verdict(), v1::AUTO_REPORTED)
      << "the index is rebuilt at start-up";
}

TEST_F(ServerTest, BadInputNamesTheFieldAndChangesNothing) {
  Stop();
  config_.limits.max_message_bytes = 8 << 20;
  config_.limits.max_image_bytes = 4 << 20;
  Start();
  struct Case {
    std::string name;
    v1::ScanRequest request;
    grpc::StatusCode code;
    std::string message;
  };
  std::vector<Case> cases;
  auto add = [&](std::string name, grpc::StatusCode code,
                 std::string message) -> v1::ScanRequest& {
    cases.push_back({std::move(name), {}, code, std::move(message)});
    cases.back().request.set_content_id("bad");
    return cases.back().request;
  };
  add("no content id", grpc::StatusCode::INVALID_ARGUMENT, "content_id")
      .clear_content_id();
  cases.back().request.set_image(Corpus("b001.jpg"));
  add("neither image nor hashes", grpc::StatusCode::INVALID_ARGUMENT,
      "image or hashes");
  add("malformed pdq", grpc::StatusCode::INVALID_ARGUMENT, "hashes.pdq")
      .mutable_hashes()
      ->set_pdq("xyz");
  add("short md5", grpc::StatusCode::INVALID_ARGUMENT, "hashes.md5")
      .mutable_hashes()
      ->set_md5("abcd");
  {
    auto& r = add("quality out of range", grpc::StatusCode::INVALID_ARGUMENT,
                  "pdq_quality");
    r.mutable_hashes()->set_pdq(std::string(64, 'a'));
    r.mutable_hashes()->set_pdq_quality(101);
  }
  {
    auto& r = add("score out of range", grpc::StatusCode::INVALID_ARGUMENT,
                  "classifier_score");
    r.mutable_hashes()->set_md5(std::string(32, 'a'));
    r.mutable_context()->set_classifier_score(1.5);
  }
  {
    auto& r =
        add("unknown lane", grpc::StatusCode::INVALID_ARGUMENT, "context.lane");
    r.mutable_hashes()->set_md5(std::string(32, 'a'));
    r.mutable_context()->set_lane("nope");
  }
  {
    auto& r = add("bad ip", grpc::StatusCode::INVALID_ARGUMENT, "uploader_ip");
    r.mutable_hashes()->set_md5(std::string(32, 'a'));
    r.mutable_context()->set_uploader_ip("999.1.1.1");
  }
  {
    // inet_pton would read only up to the NUL and accept 192.0.2.7.
    auto& r =
        add("ip with a NUL", grpc::StatusCode::INVALID_ARGUMENT, "uploader_ip");
    r.mutable_hashes()->set_md5(std::string(32, 'a'));
    r.mutable_context()->set_uploader_ip(std::string("192.0.2.7\0evil", 14));
  }
  add("undecodable image", grpc::StatusCode::INVALID_ARGUMENT, "image")
      .set_image(std::string(5000, 'z'));
  add("image over the byte limit", grpc::StatusCode::RESOURCE_EXHAUSTED,
      "max_image_bytes")
      .set_image(std::string(5 << 20, 'z'));
  add("message over the size limit", grpc::StatusCode::RESOURCE_EXHAUSTED, "")
      .set_image(std::string(9 << 20, 'z'));
  for (const Case& c : cases) {
    v1::ScanResponse resp;
    grpc::Status s = scan_->Scan(As(pipeline_).get(), c.request, &resp);
    EXPECT_EQ(s.error_code(), c.code) << c.name << ": " << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr(c.message)) << c.name;
  }

  v1::GetBankRequest unknown;
  unknown.set_name("no-such-bank");
  v1::Bank bank;
  EXPECT_EQ(banks_->GetBank(As(admin_).get(), unknown, &bank).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::CreateBankRequest create;
  create.set_name("wide");
  create.mutable_policy()->set_review_distance(99);
  grpc::Status s = banks_->CreateBank(As(admin_).get(), create, &bank);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("review_distance"));
  v1::ImportListRequest import;
  import.set_bank("internal-confirmed");
  import.set_content(std::string(32, 'a') + "\nnot-a-hash\n");
  v1::ImportListResponse imported;
  s = banks_->ImportList(As(admin_).get(), import, &imported);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("line 2"));

  // Nothing changed anywhere.
  EXPECT_THAT(Reports(), IsEmpty());
  EXPECT_EQ(QueueStats().items(), 0);
  v1::GetStatsRequest stats_req;
  stats_req.set_name("internal-confirmed");
  v1::BankStats stats;
  ASSERT_TRUE(banks_->GetStats(As(admin_).get(), stats_req, &stats).ok());
  EXPECT_EQ(stats.entries(), 0);
}

// The per-call entry limits: an import (AddEntries, ImportList) over
// limits.max_entries_per_import and a removal over max_entries_per_write are
// RESOURCE_EXHAUSTED naming the limit, and change nothing.
TEST_F(ServerTest, ImportsAndRemovalsOverTheirLimitsAreRefusedWhole) {
  Stop();
  config_.limits.max_entries_per_import = 3;
  config_.limits.max_entries_per_write = 2;
  Start();
  v1::CreateBankRequest create;
  create.set_name("small");
  v1::Bank bank;
  ASSERT_TRUE(banks_->CreateBank(As(admin_).get(), create, &bank).ok());
  auto md5 = [](int i) {
    return std::string(31, 'a') + static_cast<char>('0' + i);
  };
  auto add = [&](int n) {
    v1::WriteResult result;
    auto ctx = As(admin_);
    auto writer = banks_->AddEntries(ctx.get(), &result);
    v1::AddEntriesRequest request;
    request.set_bank("small");
    for (int i = 0; i < n; ++i) {
      v1::NewEntry* e = request.add_entries();
      e->set_signal(v1::SIGNAL_TYPE_MD5);
      e->set_value(md5(i));
    }
    writer->Write(request);
    writer->WritesDone();
    return writer->Finish();
  };
  auto entries = [&] {
    v1::GetStatsRequest req;
    req.set_name("small");
    v1::BankStats stats;
    EXPECT_TRUE(banks_->GetStats(As(admin_).get(), req, &stats).ok());
    return stats.entries();
  };
  grpc::Status s = add(4);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(s.error_message(), HasSubstr("max_entries_per_import"));
  EXPECT_EQ(entries(), 0);

  v1::ImportListRequest import;
  import.set_bank("small");
  import.set_content(
      absl::StrCat(md5(0), "\n", md5(1), "\n", md5(2), "\n", md5(3), "\n"));
  v1::ImportListResponse imported;
  s = banks_->ImportList(As(admin_).get(), import, &imported);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(s.error_message(), HasSubstr("max_entries_per_import"));
  EXPECT_EQ(entries(), 0);

  ASSERT_TRUE(add(3).ok());
  EXPECT_EQ(entries(), 3);
  v1::WriteResult removed;
  auto ctx = As(admin_);
  auto remover = banks_->RemoveEntries(ctx.get(), &removed);
  v1::RemoveEntriesRequest remove;
  remove.set_bank("small");
  for (int i = 0; i < 3; ++i) {
    auto* v = remove.add_values();
    v->set_signal(v1::SIGNAL_TYPE_MD5);
    v->set_value(md5(i));
  }
  remover->Write(remove);
  remover->WritesDone();
  s = remover->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(s.error_message(), HasSubstr("max_entries_per_write"));
  EXPECT_EQ(entries(), 3);
}

TEST_F(ServerTest, ServesTlsAndRequiresClientCertificatesWhenConfigured) {
  // A throwaway self-signed certificate (also used as the client CA and the
  // client's certificate).
  const std::string key = dir_.Sub("key.pem"), cert = dir_.Sub("cert.pem");
  const std::string cmd = absl::StrCat(
      "openssl req -x509 -newkey rsa:2048 -nodes -keyout ", key, " -out ", cert,
      " -days 2 -subj /CN=localhost -addext "
      "subjectAltName=DNS:localhost,IP:127.0.0.1 "
      ">/dev/null 2>&1");
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const std::string key_pem = hashwatch::testing::ReadFileOrDie(key);
  const std::string cert_pem = hashwatch::testing::ReadFileOrDie(cert);
  Stop();
  config_.plaintext = false;
  config_.tls.cert_file = cert;
  config_.tls.key_file = key;
  config_.tls.client_ca_file = cert;
  config_.tls.require_client_cert = true;
  Start();
  const std::string target = absl::StrCat("127.0.0.1:", server_->port());
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  auto call = [&](const std::shared_ptr<grpc::ChannelCredentials>& creds) {
    auto stub = v1::ScanService::NewStub(
        grpc::CreateCustomChannel(target, creds, args));
    v1::HashRequest req;
    req.set_image(Corpus("b011.jpg"));
    v1::HashResponse resp;
    auto ctx = As(pipeline_);
    ctx->set_deadline(std::chrono::system_clock::now() +
                      std::chrono::seconds(10));
    return stub->Hash(ctx.get(), req, &resp);
  };
  grpc::SslCredentialsOptions mutual;
  mutual.pem_root_certs = cert_pem;
  mutual.pem_private_key = key_pem;
  mutual.pem_cert_chain = cert_pem;
  grpc::Status ok = call(grpc::SslCredentials(mutual));
  EXPECT_TRUE(ok.ok()) << ok.error_message();
  grpc::SslCredentialsOptions server_only;
  server_only.pem_root_certs = cert_pem;
  EXPECT_FALSE(call(grpc::SslCredentials(server_only)).ok())
      << "no client certificate";
  EXPECT_FALSE(call(grpc::InsecureChannelCredentials()).ok())
      << "plaintext to a TLS port";
}

TEST_F(ServerTest, DisabledEntryStopsMatchingUntilReEnabled) {
  const std::string image = Corpus("b011.jpg");
  BankImage("hotline", image, "A");
  const std::string pdq = Hash(image).hashes().pdq();
  v1::DisableEntryRequest disable;
  disable.set_bank("hotline");
  disable.set_signal(v1::SIGNAL_TYPE_PDQ);
  disable.set_value(pdq);
  disable.mutable_until()->set_seconds(
      253402300799);  // the largest Timestamp: for ever
  v1::Entry entry;
  ASSERT_TRUE(banks_->DisableEntry(As(admin_).get(), disable, &entry).ok());
  EXPECT_EQ(entry.disabled_until().seconds(), 253402300799);
  EXPECT_EQ(ScanOk("d-1", image).verdict(), v1::NO_MATCH);
  disable.clear_until();  // re-enable
  ASSERT_TRUE(banks_->DisableEntry(As(admin_).get(), disable, &entry).ok());
  EXPECT_FALSE(entry.has_disabled_until());
  EXPECT_EQ(ScanOk("d-2", image).verdict(), v1::AUTO_REPORTED);
}

// An entry's state travels in AddEntries and ImportList as ExportBank gives
// it; an entry added without one keeps the state it has.
TEST_F(ServerTest, AddEntriesAndImportListCarryTheDisabledState) {
  const std::string image = Picture(11);
  BankImage("hotline", image, "A");
  const std::string pdq = Hash(image).hashes().pdq();
  auto add = [&](const std::function<void(v1::NewEntry*)>& set) {
    v1::WriteResult result;
    auto ctx = As(admin_);
    auto writer = banks_->AddEntries(ctx.get(), &result);
    v1::AddEntriesRequest request;
    request.set_bank("hotline");
    v1::NewEntry* e = request.add_entries();
    e->set_signal(v1::SIGNAL_TYPE_PDQ);
    e->set_value(pdq);
    e->set_category("A");
    e->set_source("test-list-1");
    set(e);
    EXPECT_TRUE(writer->Write(request));
    EXPECT_TRUE(writer->WritesDone());
    grpc::Status s = writer->Finish();
    EXPECT_TRUE(s.ok()) << s.error_message();
    return result;
  };
  auto exported = [&] {
    v1::ExportBankRequest request;
    request.set_name("hotline");
    auto ctx = As(admin_);
    auto reader = banks_->ExportBank(ctx.get(), request);
    std::vector<v1::Entry> entries;
    v1::Entry entry;
    while (reader->Read(&entry)) entries.push_back(entry);
    EXPECT_TRUE(reader->Finish().ok());
    return entries;
  };

  // Only the state changes: updated, and the entry stops matching.
  v1::WriteResult r = add([](v1::NewEntry* e) {
    e->mutable_disabled_until()->set_seconds(253402300799);  // indefinitely
  });
  EXPECT_EQ(r.updated(), 1u);
  EXPECT_EQ(ScanOk("s-1", image).verdict(), v1::NO_MATCH);
  ASSERT_THAT(exported(), SizeIs(1));
  EXPECT_EQ(exported()[0].disabled_until().seconds(), 253402300799);
  // The same entry without a state: nothing changes.
  r = add([](v1::NewEntry*) {});
  EXPECT_EQ(r.unchanged(), 1u);
  EXPECT_EQ(ScanOk("s-2", image).verdict(), v1::NO_MATCH);
  // The zero Timestamp enables.
  r = add([](v1::NewEntry* e) { e->mutable_disabled_until(); });
  EXPECT_EQ(r.updated(), 1u);
  EXPECT_FALSE(exported()[0].has_disabled_until());
  EXPECT_EQ(ScanOk("s-3", image).verdict(), v1::AUTO_REPORTED);

  // ImportList reads an export's disabled_until column.
  v1::ImportListRequest import;
  import.set_bank("hotline");
  import.set_content(
      "hash,signal_type,category,source,note,metadata,disabled_until\n" + pdq +
      ",pdq,A,test-list-1,,,2030-01-01T00:00:00.25+00:00\n");
  v1::ImportListResponse imported;
  grpc::Status s = banks_->ImportList(As(admin_).get(), import, &imported);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(imported.result().updated(), 1u);
  EXPECT_EQ(imported.format(), "csv");
  ASSERT_THAT(exported(), SizeIs(1));
  EXPECT_EQ(exported()[0].disabled_until().seconds(), 1893456000);
  EXPECT_EQ(exported()[0].disabled_until().nanos(), 250'000'000);
  EXPECT_EQ(ScanOk("s-4", image).verdict(), v1::NO_MATCH);
  // A headerless list of several columns is refused whole, skip_invalid or
  // not: no line of it can be read.
  import.set_content(pdq + ",A,hotline\n");
  import.set_skip_invalid(true);
  s = banks_->ImportList(As(admin_).get(), import, &imported);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(),
              HasSubstr("line 1: 3 comma-separated fields and no header"));

  // A bad timestamp is INVALID_ARGUMENT naming the entry, and adds nothing.
  v1::WriteResult bad;
  {
    auto ctx = As(admin_);
    auto writer = banks_->AddEntries(ctx.get(), &bad);
    v1::AddEntriesRequest request;
    request.set_bank("hotline");
    v1::NewEntry* e = request.add_entries();
    e->set_signal(v1::SIGNAL_TYPE_MD5);
    e->set_value(std::string(32, 'a'));
    e->mutable_disabled_until()->set_nanos(-1);
    writer->Write(request);
    writer->WritesDone();
    s = writer->Finish();
  }
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("entries[0].disabled_until"));
  EXPECT_THAT(exported(), SizeIs(1));
}

TEST_F(ServerTest, EscalatedItemsGoToLeadsOnly) {
  v1::ScanContext flagged;
  flagged.set_classifier_score(0.99);
  ASSERT_EQ(ScanOk("esc", Corpus("b012.jpg"), flagged).verdict(),
            v1::QUEUED_FOR_REVIEW);
  auto leased = Lease(mod1_);
  ASSERT_THAT(leased, SizeIs(1));
  v1::DecideResponse decided;
  ASSERT_TRUE(
      Decide(mod1_, leased[0], v1::DECISION_KIND_ESCALATE, &decided).ok());
  EXPECT_THAT(Lease(mod1_), IsEmpty())
      << "the escalating moderator cannot take it back";
  EXPECT_THAT(Lease(mod2_), IsEmpty());
  v1::LeaseRequest only_escalations;
  only_escalations.add_lanes("escalation");
  v1::LeaseResponse resp;
  EXPECT_EQ(
      review_->Lease(As(mod2_).get(), only_escalations, &resp).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  auto lead = Lease(lead_);
  ASSERT_THAT(lead, SizeIs(1));
  EXPECT_EQ(lead[0].item().lane(), "escalation");
  EXPECT_EQ(lead[0].item().id(), leased[0].item().id());
  // Its details (uploader, IP, history) are for leads too.
  v1::GetItemRequest get;
  get.set_item_id(lead[0].item().id());
  v1::ReviewItem item;
  grpc::Status denied = review_->GetItem(As(mod1_).get(), get, &item);
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(denied.error_message(), HasSubstr("escalated"));
  EXPECT_TRUE(review_->GetItem(As(lead_).get(), get, &item).ok());
}

// A lease belongs to the token that took it, not to its name: a token
// revoked and created again under the same name holds none of its leases.
TEST_F(ServerTest, ReCreatedTokenInheritsNoLease) {
  v1::ScanContext flagged;
  flagged.set_classifier_score(0.99);
  ASSERT_EQ(ScanOk("held", Corpus("b017.jpg"), flagged).verdict(),
            v1::QUEUED_FOR_REVIEW);
  auto held = Lease(mod1_);
  ASSERT_THAT(held, SizeIs(1));
  ASSERT_OK_AND_ASSIGN(auto tokens,
                       TokenStore::Open(config_.db + "/tokens.json", &clock_));
  ASSERT_OK(tokens->Revoke("mod1"));
  ASSERT_OK_AND_ASSIGN(const std::string again,
                       tokens->Create("mod1", Role::kModerator, {}));
  v1::DecideResponse decided;
  grpc::Status s = Decide(again, held[0], v1::DECISION_KIND_REJECT, &decided);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << s.error_message();
  v1::GetItemRequest get;
  get.set_item_id(held[0].item().id());
  v1::ReviewItem item;
  EXPECT_EQ(review_->GetItem(As(again).get(), get, &item).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(review_->GetItem(As(lead_).get(), get, &item).ok());
  EXPECT_EQ(item.state(), v1::ITEM_STATE_LEASED);
}

// A loopback port that was free a moment ago (bound to port 0, then
// released), for tests that need two servers to ask for the same number.
int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (fd < 0 ||
      bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::abort();
  }
  close(fd);
  return ntohs(addr.sin_port);
}

TEST_F(ServerTest, SecondServerOnTheSamePortIsRefusedAndTheFirstKeepsServing) {
  ServerConfig second = config_;
  second.db = dir_.Sub("second");
  second.listen = absl::StrCat("127.0.0.1:", server_->port());
  EXPECT_THAT(Server::Start(second, &clock_),
              StatusIs(absl::StatusCode::kUnavailable,
                       absl::StrCat("address ", second.listen,
                                    " is in use by another process")));
  EXPECT_FALSE(std::filesystem::exists(second.db))
      << "refused before making its database";
  EXPECT_FALSE(
      Hash(Picture(11)).hashes().pdq().empty());  // the first still answers
}

TEST_F(ServerTest, ServersStartingTogetherOnOnePortLeaveExactlyOneServing) {
  // Both ask for a free port at once: each finds it free before either
  // binds (opening a database takes a while), so only the bind itself, with
  // SO_REUSEPORT off, can refuse one of them.
  const std::string listen = absl::StrCat("127.0.0.1:", FreeLoopbackPort());
  ServerConfig a = config_, b = config_;
  a.db = dir_.Sub("a");
  b.db = dir_.Sub("b");
  a.listen = b.listen = listen;
  absl::StatusOr<std::unique_ptr<Server>> started_a, started_b;
  absl::Notification go;
  std::thread start_a([&] {
    go.WaitForNotification();
    started_a = Server::Start(a, &clock_);
  });
  std::thread start_b([&] {
    go.WaitForNotification();
    started_b = Server::Start(b, &clock_);
  });
  go.Notify();
  start_a.join();
  start_b.join();
  ASSERT_NE(started_a.ok(), started_b.ok())
      << "a: " << started_a.status() << "; b: " << started_b.status();
  EXPECT_THAT(started_a.ok() ? started_b.status() : started_a.status(),
              StatusIs(absl::StatusCode::kUnavailable,
                       absl::StrCat("address ", listen,
                                    " is in use by another process")));
}

TEST_F(ServerTest, SecondServerOnTheSameDatabaseIsRefusedInOneLine) {
  ServerConfig second = config_;  // the same database, another port
  EXPECT_THAT(
      Server::Start(second, &clock_),
      StatusIs(absl::StatusCode::kUnavailable,
               absl::StrCat("the database ", config_.db,
                            " is in use by another hashwatch process")));
  EXPECT_FALSE(Hash(Picture(11)).hashes().pdq().empty());
}

}  // namespace
}  // namespace hashwatch::review_api
