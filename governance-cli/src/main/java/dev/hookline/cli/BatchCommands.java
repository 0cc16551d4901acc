/*
 * `hookline batch submit|list|show|watch|cancel` (docs/API.md: /api/batches). Submission accepts
 * the dataset layouts directly (EditFiles); watch polls the batch until its version exists.
 */
package dev.hookline.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hookline.client.RegistryClient;
import dev.hookline.client.RegistryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Edit batch commands. */
@Command(name = "batch", description = "Submit edit batches and follow them.",
        subcommands = {BatchCommands.Submit.class, BatchCommands.ListBatches.class, BatchCommands.Show.class,
                BatchCommands.Watch.class, BatchCommands.Cancel.class})
final class BatchCommands {
    /** The method the registry applies when a batch names none (docs/BENCHMARKS.md: label-free, the best held-out locality). */
    static final String RECOMMENDED_METHOD = "codebook-subject";

    private static final Set<String> DONE = Set.of("COMPUTED", "VALIDATED", "REJECTED");

    @Command(name = "submit", description = {"Submit a batch of fact edits. --file takes CounterFact (counterfact.json),",
            "zsRE (zsre.json), a JSON array of API edits, or a whole batch body {\"edits\": [...]}.",
            "Prints the batch id on stdout."})
    static final class Submit implements Callable<Integer> {
        @Mixin
        RegistryOptions conn;

        @Option(names = "--model", paramLabel = "NAME", description = "Model name or id. Default: the only registered model.")
        String model;

        @Option(names = {"-f", "--file"}, required = true, paramLabel = "FILE", description = "The edits (see above).")
        Path file;

        @Option(names = "--count", paramLabel = "N", defaultValue = "0",
                description = "Submit only N edits of the file (0 = all).")
        int count;

        @Option(names = "--skip", paramLabel = "N", defaultValue = "0", description = "Skip the file's first N edits.")
        int skip;

        @Option(names = "--branch", paramLabel = "B", description = "Branch. Default: the file's, else main.")
        String branch;

        @Option(names = "--method", paramLabel = "M", description = {"Editing method. Default: the file's, else the "
                + "registry's default: the branch's method, on a new branch " + RECOMMENDED_METHOD + " (recommended;",
                "coachhook = the paper's method; also codebook-nearest (codebook-subject without its subject gate),",
                "alphaedit-shards, alphaedit-nearest, coachhook-nearest, coachhook-span-relation, coachhook-span,"
                + " coachhook-corpus, coachhook-plus)."})
        String method;

        @Option(names = "--reason", paramLabel = "TEXT",
                description = "Why (audited). Default: the file's, else \"hookline batch submit FILE\".")
        String reason;

        @Option(names = "--ticket", paramLabel = "ID", description = "A ticket id, e.g. HL-42.")
        String ticket;

        @Option(names = "--parent", paramLabel = "VERSION",
                description = "Fork a new branch from this version (id, or bREF for a batch's version); a guard on an existing branch.")
        String parent;

        @Option(names = "--set", paramLabel = "KEY=VALUE",
                description = "A hyperparameter (JSON value, e.g. lambda=1200 or layers=[2]); repeatable.")
        Map<String, String> hyperparameters = new LinkedHashMap<>();

        @Option(names = "--no-queue", description = "Leave the batch SUBMITTED (queue it later in the console or API).")
        boolean noQueue;

        @Option(names = "--json", description = "Print the batch view JSON instead of its id.")
        boolean json;

        @Override
        public Integer call() {
            if (count < 0 || skip < 0) {
                throw CliException.usage("--count and --skip must be >= 0");
            }
            EditFiles.Loaded loaded = EditFiles.read(file);
            ArrayNode all = loaded.edits();
            if (skip >= all.size()) {
                throw CliException.usage("--skip " + skip + ": the file holds only " + all.size() + " edits");
            }
            int end = count == 0 ? all.size() : Math.min(all.size(), skip + count);
            ArrayNode edits = RegistryClient.json().createArrayNode();
            for (int i = skip; i < end; i++) {
                edits.add(all.get(i));
            }
            RegistryClient c = conn.client();
            JsonNode m = Lookups.model(c, model);
            ObjectNode body = loaded.body() != null ? loaded.body() : RegistryClient.json().createObjectNode();
            body.put("modelId", m.path("id").asLong());
            body.set("edits", edits);
            if (branch != null) {
                body.put("branch", branch);
            }
            if (method != null) {
                body.put("method", method);
            }
            if (reason != null) {
                body.put("reason", reason);
            } else if (!body.hasNonNull("reason") && ticket == null && !body.hasNonNull("ticket")) {
                body.put("reason", "hookline batch submit " + file.getFileName());
            }
            if (ticket != null) {
                body.put("ticket", ticket);
            }
            if (parent != null) {
                body.put("parentVersionId", Lookups.versionId(c, parent, false));
            }
            if (!hyperparameters.isEmpty()) {
                ObjectNode h = body.path("hyperparameters").isObject() ? (ObjectNode) body.get("hyperparameters")
                        : body.putObject("hyperparameters");
                hyperparameters.forEach((k, v) -> h.set(k, jsonValue(v)));
            }
            if (noQueue) {
                body.put("queue", false);
            }
            JsonNode batch = c.post("/api/batches", body);
            Out out = GovernanceCli.out();
            if (json) {
                out.json(batch);
            } else {
                out.line(batch.path("id").asText());
            }
            out.note("batch " + batch.path("id").asText() + " submitted: " + edits.size() + " " + loaded.layout().label()
                    + " edits for model " + m.path("name").asText() + ", branch " + batch.path("branch").asText()
                    + ", method " + batch.path("method").asText() + " (" + batch.path("status").asText() + ")");
            out.note("follow it: hookline batch watch " + batch.path("id").asText());
            return 0;
        }

        private static JsonNode jsonValue(String v) {
            try {
                return RegistryClient.json().readTree(v);
            } catch (JsonProcessingException e) {
                return RegistryClient.json().getNodeFactory().textNode(v);
            }
        }
    }

    @Command(name = "list", description = "List batches, newest first.")
    static final class ListBatches implements Callable<Integer> {
        @Mixin
        RegistryOptions conn;

        @Option(names = "--model", paramLabel = "NAME", description = "Only this model's (name or id). Default: all.")
        String model;

        @Option(names = "--status", paramLabel = "S", description = "Only this status (e.g. COMPUTED). Default: all.")
        String status;

        @Option(names = "--limit", paramLabel = "N", defaultValue = "20", description = "At most N batches.")
        int limit;

        @Option(names = "--json", description = "Print the registry's JSON.")
        boolean json;

        @Override
        public Integer call() {
            RegistryClient c = conn.client();
            StringBuilder q = new StringBuilder("/api/batches?limit=").append(limit);
            if (model != null) {
                q.append("&modelId=").append(Lookups.model(c, model).path("id").asLong());
            }
            if (status != null) {
                q.append("&status=").append(RegistryClient.q(status));
            }
            JsonNode all = c.get(q.toString());
            Out out = GovernanceCli.out();
            if (json) {
                out.json(all);
                return 0;
            }
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode b : all) {
                rows.add(List.of(Out.text(b, "id"), Out.text(b, "modelId"), Out.text(b, "branch"), Out.text(b, "status"),
                        b.path("progress").path("percent").isNumber() ? b.path("progress").path("percent").asInt() + "%" : "-",
                        Out.text(b, "editCount"), Out.text(b, "method"), Out.text(b, "resultVersionId"),
                        Out.text(b, "submitter"), Out.text(b, "createdAt")));
            }
            out.table(List.of("ID", "MODEL", "BRANCH", "STATUS", "PROGRESS", "EDITS", "METHOD", "VERSION", "SUBMITTER",
                    "CREATED"), rows);
            return 0;
        }
    }

    @Command(name = "show", description = "Show one batch with its edits.")
    static final class Show implements Callable<Integer> {
        @Mixin
        RegistryOptions conn;

        @Parameters(index = "0", paramLabel = "ID", description = "Batch id.")
        String id;

        @Option(names = "--json", description = "Print the registry's JSON.")
        boolean json;

        @Override
        public Integer call() {
            long batchId = Lookups.id("batch id", id);
            JsonNode b = Lookups.get(conn.client(), "/api/batches/" + batchId, "batch " + batchId);
            Out out = GovernanceCli.out();
            if (json) {
                out.json(b);
                return 0;
            }
            printBatch(out, b);
            return 0;
        }
    }

    static void printBatch(Out out, JsonNode b) {
        out.line("batch " + b.path("id").asText() + "  " + b.path("status").asText() + "  model " + Out.text(b, "modelId")
                + "  branch " + Out.text(b, "branch") + " #" + Out.text(b, "position") + "  method " + Out.text(b, "method"));
        out.line("submitted by " + Out.text(b, "submitter") + " at " + Out.text(b, "createdAt") + ": "
                + (b.hasNonNull("reason") ? b.get("reason").asText() : "") + (b.hasNonNull("ticket") ? " [" + b.get("ticket").asText() + "]" : ""));
        if (b.hasNonNull("resultVersionId")) {
            out.line("version " + b.get("resultVersionId").asText());
        }
        if (b.hasNonNull("error")) {
            out.line("error: " + b.get("error").asText());
        }
        VersionCommands.printFacts(out, b.path("edits"));
    }

    @Command(name = "watch", description = {"Show a batch's progress until its version exists, then the version's",
            "metrics and facts. Exits 1 if the batch fails or is cancelled."})
    static final class Watch implements Callable<Integer> {
        @Mixin
        RegistryOptions conn;

        @Parameters(index = "0", paramLabel = "ID", description = "Batch id (hookline batch submit prints it).")
        String id;

        @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "1800", description = "Give up after this long.")
        long timeoutSeconds;

        @Option(names = "--interval", paramLabel = "SECONDS", defaultValue = "1", description = "Polling interval.")
        double interval;

        @Option(names = "--json", description = "At the end print the version's JSON (no progress bar on stdout).")
        boolean json;

        @Override
        public Integer call() throws InterruptedException {
            long batchId = Lookups.id("batch id", id);
            if (timeoutSeconds < 0 || interval <= 0) {
                throw CliException.usage("--timeout must be >= 0 and --interval > 0");
            }
            RegistryClient c = conn.client();
            Out out = GovernanceCli.out();
            Progress bar = Progress.onStderr(out.err());
            long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
            while (true) {
                JsonNode b;
                try {
                    b = Lookups.get(c, "/api/batches/" + batchId, "batch " + batchId);
                } catch (RegistryException e) {
                    if (!e.isTransient()) {
                        throw e;
                    }
                    bar.show(0, "registry not answering: " + e.getMessage());
                    b = null;
                }
                if (b != null) {
                    String status = b.path("status").asText();
                    if (DONE.contains(status) && b.hasNonNull("resultVersionId")) {
                        bar.show(100, status);
                        bar.done();
                        JsonNode v = c.get("/api/versions/" + b.get("resultVersionId").asLong());
                        if (json) {
                            out.json(v);
                        } else {
                            VersionCommands.printVersion(c, out, v, b);
                        }
                        return 0;
                    }
                    if (status.equals("FAILED") || status.equals("CANCELLED")) {
                        bar.done();
                        throw CliException.failed("batch " + batchId + " " + status
                                + (b.hasNonNull("error") ? ": " + b.get("error").asText() : ""));
                    }
                    JsonNode p = b.path("progress");
                    String phase = p.hasNonNull("phase") ? " " + p.get("phase").asText() : "";
                    String job = b.path("job").hasNonNull("leasedBy") ? " on " + b.path("job").path("leasedBy").asText()
                            .replaceAll(" \\[.*", "") : "";
                    bar.show(p.path("percent").asInt(), "batch " + batchId + " " + status + phase + job);
                }
                if (System.nanoTime() > deadline) {
                    bar.done();
                    throw CliException.failed("batch " + batchId + " has no version after " + timeoutSeconds
                            + " s (is an editor worker running? ./hookline up starts one)");
                }
                Thread.sleep((long) (interval * 1000));
            }
        }
    }

    @Command(name = "cancel", description = "Cancel a pending batch (its submitter or an ADMIN).")
    static final class Cancel implements Callable<Integer> {
        @Mixin
        RegistryOptions conn;

        @Parameters(index = "0", paramLabel = "ID", description = "Batch id.")
        String id;

        @Option(names = "--reason", paramLabel = "TEXT", defaultValue = "cancelled with hookline batch cancel",
                description = "Why (audited).")
        String reason;

        @Override
        public Integer call() {
            long batchId = Lookups.id("batch id", id);
            JsonNode b = conn.client().post("/api/batches/" + batchId + "/cancel", Map.of("reason", reason));
            GovernanceCli.out().note("batch " + batchId + " " + b.path("status").asText());
            return 0;
        }
    }
}
