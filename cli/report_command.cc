#include "cli/report_command.h"

#include <memory>
#include <ostream>

#include "absl/strings/str_cat.h"
#include "cli/common_flags.h"
#include "cli/proto_convert.h"
#include "common/status_macros.h"
#include "hashwatch/v1/report.grpc.pb.h"

namespace hashwatch::cli {
namespace {

using v1::ReportService;

// The filter flags as a request; InvalidArgument names a bad flag.
absl::StatusOr<v1::ListReportsRequest> MakeRequest(
    const ReportCommandOptions& o) {
  v1::ListReportsRequest req;
  const absl::Time now = absl::Now();
  auto bound =
      [&](const char* flag, const std::string& text,
          google::protobuf::Timestamp* (v1::ListReportsRequest::*field)()) {
        if (text.empty()) return absl::OkStatus();
        absl::StatusOr<absl::Time> t = ParseTimeOrDuration(text, now);
        if (!t.ok())
          return absl::InvalidArgumentError(
              absl::StrCat(flag, ": ", t.status().message()));
        ToProto(*t, (req.*field)());
        return absl::OkStatus();
      };
  HW_RETURN_IF_ERROR(
      bound("--from", o.from, &v1::ListReportsRequest::mutable_from));
  HW_RETURN_IF_ERROR(bound("--to", o.to, &v1::ListReportsRequest::mutable_to));
  if (o.state == "pending") req.set_state(v1::REPORT_STATE_PENDING);
  if (o.state == "submitted") req.set_state(v1::REPORT_STATE_SUBMITTED);
  req.set_bank(o.bank);
  req.set_limit(o.limit);
  return req;
}

void PrintReportLine(const v1::Report& r, std::ostream& out) {
  const v1::Evidence* best = nullptr;
  for (const v1::Evidence& e : r.evidence()) {
    if (best == nullptr || e.distance() < best->distance()) best = &e;
  }
  out << r.id() << "\t" << FormatProtoTime(r.created()) << "\t"
      << EnumWord(v1::ReportState_Name(r.state()), "REPORT_STATE_") << "\t"
      << EnumWord(v1::ReportOrigin_Name(r.origin()), "REPORT_ORIGIN_") << "\t"
      << (r.category().empty() ? "-" : r.category()) << "\t" << r.content_id()
      << "\t" << (best ? best->bank() : "-") << "\t"
      << (best ? absl::StrCat(best->distance()) : "-") << "\n";
}

int List(const v1::ListReportsRequest& req, const Connection& conn,
         ReportService::Stub& stub, std::ostream& out, std::ostream& err) {
  v1::ListReportsResponse resp;
  grpc::Status s = stub.List(conn.NewContext().get(), req, &resp);
  if (!s.ok()) return conn.FailCall(err, "report list", s);
  out << "id\tcreated\tstate\torigin\tcategory\tcontent_id\tbank\tdistance\n";
  for (const v1::Report& r : resp.reports()) PrintReportLine(r, out);
  return 0;
}

int Export(const v1::ListReportsRequest& req, const Connection& conn,
           ReportService::Stub& stub, std::ostream& out, std::ostream& err) {
  std::unique_ptr<grpc::ClientContext> ctx =
      conn.NewContext(/*deadline=*/false);
  std::unique_ptr<grpc::ClientReader<v1::ExportChunk>> reader =
      stub.Export(ctx.get(), req);
  v1::ExportChunk chunk;
  while (reader->Read(&chunk)) {
    out << chunk.json_line() << "\n";
    if (!out.good()) {
      ctx->TryCancel();
      break;
    }
  }
  grpc::Status s = reader->Finish();
  if (!out.good())
    return Fail(err, absl::UnavailableError("cannot write output"));
  if (!s.ok()) return conn.FailCall(err, "report export", s);
  return 0;
}

}  // namespace

void SetupReportCommand(CLI::App& command, ReportCommandOptions& o) {
  CLI::App* report = &command;
  report->require_subcommand(1);
  AddClientFlags(*report, o.client, /*server_required=*/true);
  report->add_option("--state", o.state, "Only pending or submitted reports")
      ->check(CLI::IsMember({"pending", "submitted"}));
  report->add_option("--bank", o.bank,
                     "Only reports with evidence from this bank");
  report->add_option("--from", o.from,
                     "Created at or after: RFC 3339 or a duration (-24h)");
  report->add_option("--to", o.to,
                     "Created before: RFC 3339 or a duration (-1h)");
  report
      ->add_option("--limit", o.limit,
                   "At most this many, 1..10000 (default 1000)")
      ->check(CLI::Range(1, 10000));
  auto action = [&o](CLI::App* sub, const char* name) {
    sub->callback([&o, name] { o.action = name; });
    sub->fallthrough();  // the filter and connection flags may follow
    return sub;
  };
  action(report->add_subcommand("list", "One line per report"), "list");
  action(report->add_subcommand("export", "The reports as JSON lines"),
         "export");
}

int RunReportCommand(const ReportCommandOptions& o, std::ostream& out,
                     std::ostream& err) {
  absl::StatusOr<v1::ListReportsRequest> req = MakeRequest(o);
  if (!req.ok()) {
    err << "hashwatch: " << req.status().message() << "\n";
    return 2;
  }
  std::unique_ptr<Connection> conn;
  if (int rc = Connect(o.client, err, &conn); rc != 0) return rc;
  std::unique_ptr<ReportService::Stub> stub =
      ReportService::NewStub(conn->channel());
  if (o.action == "list") return List(*req, *conn, *stub, out, err);
  if (o.action == "export") return Export(*req, *conn, *stub, out, err);
  err << "hashwatch: no report subcommand ran\n";
  return 1;
}

}  // namespace hashwatch::cli
