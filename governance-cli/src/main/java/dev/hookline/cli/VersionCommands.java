/*
 * `hookline version show|list|validate|reject|diff` (docs/API.md: /api/versions, hook version
 * view). A version argument may name a batch (b12) when the user knows only the batch id.
 */
package dev.hookline.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hookline.client.RegistryClient;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Hook version commands. */
@Command(name = "version", description = {"Review hook versions (VERSION: an id like 12, or b12 for batch 12's).",
        "VERSION is a version id (12, v12) or a batch id (b12, batch:12) for the version that batch produced."},
        subcommands = {VersionCommands.Show.class, VersionCommands.ListVersions.class, VersionCommands.Validate.class,
                VersionCommands.Reject.class, VersionCommands.Diff.class})
final class VersionCommands {
    @Command(name = "show", description = "Show a version: state, lineage, metrics, alpha and its batch's facts.")
    static final class Show implements Callable<Integer> {
        @Mixin
        RegistryOptions conn;

        @Parameters(index = "0", paramLabel = "VERSION", description = "Version id or bBATCH.")
        String ref;

        @Option(names = "--json", description = "Print the registry's JSON.")
        boolean json;

        @Override
        public Integer call() {
            RegistryClient c = conn.client();
            long id = Lookups.versionId(c, ref, false);
            JsonNode v = Lookups.get(c, "/api/versions/" + id, "version " + id);
            Out out = GovernanceCli.out();
            if (json) {
                out.json(v);
            } else {
                printVersion(c, out, v, c.get("/api/batches/" + v.path("batchId").asLong()));
            }
            return 0;
        }
    }

    @Command(name = "list", description = "List a model's versions (its lineage tree), oldest first.")
    static final class ListVersions implements Callable<Integer> {
        @Mixin
        RegistryOptions conn;

        @Option(names = "--model", paramLabel = "NAME", description = "Model name or id. Default: the only registered model.")
        String model;

        @Option(names = "--json", description = "Print the registry's JSON.")
        boolean json;

        @Override
        public Integer call() {
            RegistryClient c = conn.client();
            JsonNode m = Lookups.model(c, model);
            JsonNode all = c.get("/api/models/" + m.path("id").asLong() + "/versions");
            Out out = GovernanceCli.out();
            if (json) {
                out.json(all);
                return 0;
            }
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode v : all) {
                JsonNode metrics = v.path("metrics");
                rows.add(List.of(Out.text(v, "id"), "#" + Out.text(v, "number"), Out.text(v, "parentVersionId"),
                        Out.text(v, "batchId"), Out.text(v, "state"), Out.text(v, "method"), Out.text(v, "editsCumulative"),
                        Out.num(metrics.get("reliability")), Out.num(metrics.get("generality")),
                        Out.num(metrics.get("locality")), Out.text(v, "submitter"), Out.text(v, "reviewer")));
            }
            out.table(List.of("ID", "NUMBER", "PARENT", "BATCH", "STATE", "METHOD", "EDITS", "REL", "GEN", "LOC",
                    "SUBMITTER", "REVIEWER"), rows);
            return 0;
        }
    }

    /** validate and reject differ only in their verb. */
    abstract static class Review implements Callable<Integer> {
        @Mixin
        RegistryOptions conn;

        @Parameters(index = "0", paramLabel = "VERSION", description = "Version id or bBATCH.")
        String ref;

        @Option(names = {"-m", "--comment"}, required = true, paramLabel = "TEXT", description = "Review comment (audited).")
        String comment;

        abstract String verb();

        @Override
        public Integer call() {
            RegistryClient c = conn.client();
            long id = Lookups.versionId(c, ref, false);
            JsonNode v = c.post("/api/versions/" + id + "/" + verb(), Map.of("comment", comment));
            GovernanceCli.out().note("version " + id + " (#" + v.path("number").asText() + ") is "
                    + v.path("state").asText() + " (reviewer " + v.path("reviewer").asText() + ")");
            return 0;
        }
    }

    @Command(name = "validate", description = "Approve a TEMPORARY version (REVIEWER; not the batch's submitter).")
    static final class Validate extends Review {
        @Override
        String verb() {
            return "validate";
        }
    }

    @Command(name = "reject", description = "Reject a TEMPORARY version (REVIEWER; not the batch's submitter).")
    static final class Reject extends Review {
        @Override
        String verb() {
            return "reject";
        }
    }

    @Command(name = "diff", description = {"What changes from version FROM to version TO: facts added and removed along",
            "the lineage since their common ancestor, metrics and alpha side by side. 0 = the base model."})
    static final class Diff implements Callable<Integer> {
        @Mixin
        RegistryOptions conn;

        @Parameters(index = "0", paramLabel = "FROM", description = "Version id, bBATCH, or 0 (base model).")
        String fromRef;

        @Parameters(index = "1", paramLabel = "TO", description = "Version id, bBATCH, or 0 (base model).")
        String toRef;

        @Option(names = "--json", description = "Print {from, to, commonAncestor, added, removed} as JSON.")
        boolean json;

        @Override
        public Integer call() {
            RegistryClient c = conn.client();
            long from = Lookups.versionId(c, fromRef, true);
            long to = Lookups.versionId(c, toRef, true);
            List<JsonNode> fromChain = lineage(c, from);
            List<JsonNode> toChain = lineage(c, to);
            if (!fromChain.isEmpty() && !toChain.isEmpty()
                    && fromChain.get(0).path("modelId").asLong() != toChain.get(0).path("modelId").asLong()) {
                throw CliException.failed("versions " + from + " and " + to + " belong to different models");
            }
            Set<Long> fromIds = new LinkedHashSet<>();
            fromChain.forEach(v -> fromIds.add(v.path("id").asLong()));
            long ancestor = 0;
            for (JsonNode v : toChain) {
                if (fromIds.contains(v.path("id").asLong())) {
                    ancestor = v.path("id").asLong();
                    break;
                }
            }
            ArrayNode added = facts(c, toChain, ancestor);
            ArrayNode removed = facts(c, fromChain, ancestor);
            ObjectNode doc = RegistryClient.json().createObjectNode();
            doc.put("from", from);
            doc.put("to", to);
            doc.put("commonAncestor", ancestor);
            doc.set("added", added);
            doc.set("removed", removed);
            doc.set("fromMetrics", fromChain.isEmpty() ? null : fromChain.get(0).path("metrics"));
            doc.set("toMetrics", toChain.isEmpty() ? null : toChain.get(0).path("metrics"));
            Out out = GovernanceCli.out();
            if (json) {
                out.json(doc);
                return 0;
            }
            out.line("diff " + label(from) + " -> " + label(to) + " (common ancestor " + label(ancestor) + ")");
            out.line("facts added (" + added.size() + "):");
            printFacts(out, added);
            if (!removed.isEmpty()) {
                out.line("facts no longer present (" + removed.size() + "):");
                printFacts(out, removed);
            }
            JsonNode fm = fromChain.isEmpty() ? RegistryClient.json().createObjectNode() : fromChain.get(0).path("metrics");
            JsonNode tm = toChain.isEmpty() ? RegistryClient.json().createObjectNode() : toChain.get(0).path("metrics");
            List<List<String>> rows = new ArrayList<>();
            for (String k : List.of("reliability", "generality", "locality", "editsCumulative")) {
                rows.add(List.of(k, Out.num(fm.get(k)), Out.num(tm.get(k))));
            }
            Map<Integer, String[]> layers = new HashMap<>();
            layerRows(fromChain, layers, 0);
            layerRows(toChain, layers, 1);
            layers.keySet().stream().sorted().forEach(l -> {
                String[] s = layers.get(l);
                rows.add(List.of("layer " + l + " alpha", s[0] == null ? "-" : s[0], s[1] == null ? "-" : s[1]));
                rows.add(List.of("layer " + l + " deltaNorm", s[2] == null ? "-" : s[2], s[3] == null ? "-" : s[3]));
            });
            out.table(List.of("", label(from), label(to)), rows);
            return 0;
        }

        private static void layerRows(List<JsonNode> chain, Map<Integer, String[]> layers, int side) {
            if (chain.isEmpty()) {
                return;
            }
            JsonNode v = chain.get(0);
            for (JsonNode a : v.path("alpha")) {
                layers.computeIfAbsent(a.path("layer").asInt(), k -> new String[4])[side] = Out.num(a.get("after"));
            }
            for (JsonNode l : v.path("metrics").path("layers")) {
                layers.computeIfAbsent(l.path("layer").asInt(), k -> new String[4])[2 + side] = Out.num(l.get("deltaNorm"));
            }
        }

        private static String label(long id) {
            return id == 0 ? "base" : "v" + id;
        }
    }

    /** The version and its ancestors, newest first (empty for the base model). */
    static List<JsonNode> lineage(RegistryClient c, long versionId) {
        List<JsonNode> chain = new ArrayList<>();
        Long id = versionId == 0 ? null : versionId;
        while (id != null && chain.size() < 100_000) {
            JsonNode v = Lookups.get(c, "/api/versions/" + id, "version " + id);
            chain.add(v);
            JsonNode p = v.path("parentVersionId");
            id = p.isNull() || p.isMissingNode() ? null : p.asLong();
        }
        return chain;
    }

    /** The facts of the chain's versions above {@code ancestor}, oldest first, each with its versionId. */
    private static ArrayNode facts(RegistryClient c, List<JsonNode> chain, long ancestor) {
        List<JsonNode> above = new ArrayList<>();
        for (JsonNode v : chain) {
            if (v.path("id").asLong() == ancestor) {
                break;
            }
            above.add(v);
        }
        Collections.reverse(above);
        ArrayNode facts = RegistryClient.json().createArrayNode();
        for (JsonNode v : above) {
            for (JsonNode e : c.get("/api/batches/" + v.path("batchId").asLong()).path("edits")) {
                ObjectNode f = facts.addObject();
                f.put("versionId", v.path("id").asLong());
                f.put("subject", e.path("subject").asText());
                f.put("prompt", e.path("prompt").asText());
                f.put("targetNew", e.path("targetNew").asText());
                if (e.hasNonNull("targetTrue")) {
                    f.put("targetTrue", e.path("targetTrue").asText());
                }
            }
        }
        return facts;
    }

    /** The version summary `batch watch` and `version show` print. */
    static void printVersion(RegistryClient c, Out out, JsonNode v, JsonNode batch) {
        JsonNode m = v.path("metrics");
        out.line("version " + v.path("id").asText() + " (#" + v.path("number").asText() + " of model "
                + v.path("modelId").asText() + ")  " + v.path("state").asText() + "  method " + Out.text(v, "method"));
        out.line("parent " + (v.hasNonNull("parentVersionId") ? "v" + v.get("parentVersionId").asText() : "base model")
                + "; batch " + Out.text(v, "batchId") + " by " + Out.text(v, "submitter")
                + (batch != null && batch.hasNonNull("reason") ? " (" + batch.get("reason").asText() + ")" : "")
                + "; " + Out.text(v, "editsCumulative") + " edits in its lineage");
        out.line("metrics: reliability " + Out.num(m.get("reliability")) + "  generality " + Out.num(m.get("generality"))
                + "  locality " + Out.num(m.get("locality"))
                + (m.path("regression").path("edits").asInt() > 0 ? "  (earlier edits: reliability "
                        + Out.num(m.path("regression").get("reliability")) + " over " + m.path("regression").path("edits").asInt()
                        + ")" : ""));
        StringBuilder alpha = new StringBuilder();
        for (JsonNode a : v.path("alpha")) {
            alpha.append("  layer ").append(a.path("layer").asText()).append(": ").append(Out.num(a.get("before")))
                    .append(" -> ").append(Out.num(a.get("after")));
        }
        if (alpha.length() > 0) {
            out.line("alpha:" + alpha);
        }
        if (v.hasNonNull("reviewer")) {
            out.line("reviewed by " + v.get("reviewer").asText() + ": " + Out.text(v, "reviewComment"));
        }
        if (batch != null) {
            out.line("facts (" + batch.path("edits").size() + "):");
            printFacts(out, batch.path("edits"));
        }
        if ("TEMPORARY".equals(v.path("state").asText())) {
            out.line("next: hookline version validate " + v.path("id").asText()
                    + " -m \"...\"   (a REVIEWER other than " + Out.text(v, "submitter") + ")");
        }
    }

    /** One line per fact: the filled prompt, the new answer and the old one. */
    static void printFacts(Out out, JsonNode edits) {
        List<List<String>> rows = new ArrayList<>();
        for (JsonNode e : edits) {
            String prompt = e.path("prompt").asText().replace("{}", e.path("subject").asText());
            rows.add(List.of("  " + prompt, "-> " + e.path("targetNew").asText(),
                    e.hasNonNull("targetTrue") ? "(was " + e.get("targetTrue").asText() + ")" : ""));
        }
        if (!rows.isEmpty()) {
            out.table(List.of("  PROMPT", "NEW", "OLD"), rows);
        }
    }
}
