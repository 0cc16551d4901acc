/*
 * View records of the console pages: registry JSON (docs/API.md views, version metrics as in
 * docs/briefs/SHARED-CONTRACTS.md) turned into preformatted strings, "—" for anything absent.
 * Templates only print these; no JSON navigation in templates.
 */
package dev.hookline.console.view;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.hookline.console.view.Fmt.MISSING;

/** Records the templates render. */
public final class Views {

    private Views() {
    }

    /** Chrome shared by every page: who is signed in, the CSRF token for forms, a one-shot message. */
    public record Page(String title, String nav, String principal, String roles, String csrf, String flash,
                       boolean submitter, boolean reviewer, boolean releaser, boolean admin) {
        /** True when someone is signed in. */
        public boolean signedIn() {
            return principal != null;
        }
    }

    /** A base model in lists. */
    public record ModelRow(long id, String name, String architecture, String status, String createdAt,
                           String createdBy, List<String> editDefaults) {
        public static ModelRow of(JsonNode m) {
            List<String> defaults = new java.util.ArrayList<>(); // "method: {hyperparameters}" per method with defaults
            m.path("editDefaults").fields().forEachRemaining(e -> defaults.add(e.getKey() + ": " + e.getValue()));
            return new ModelRow(m.path("id").asLong(), Fmt.text(m, "name"), Fmt.text(m, "architecture"),
                    Fmt.text(m, "status"), Fmt.time(m, "createdAt"), Fmt.text(m, "createdBy"), defaults);
        }
    }

    /** A model being built (pretrained, then registered) before it appears as a model: GET /api/models/builds. */
    public record BuildRow(String name, String preset, String status, String phase, int percent, String message,
                           String updatedAt) {
        public static BuildRow of(JsonNode b) {
            return new BuildRow(Fmt.text(b, "name"), Fmt.text(b, "preset"), Fmt.text(b, "status"), Fmt.text(b, "phase"),
                    b.path("percent").asInt(), Fmt.text(b, "message"), Fmt.time(b, "updatedAt"));
        }
    }

    /** Alpha of one layer before and after a batch step. */
    public record AlphaRow(String layer, String before, String after, String change) {
    }

    /** Hook state norms of one layer (W_h - W_0, then the codebook methods' rows): since the base and since the parent. */
    public record LayerNormRow(String layer, String deltaNorm, String stepNorm) {
    }

    /** Seconds of one worker phase. */
    public record PhaseRow(String phase, String seconds) {
    }

    /** Shown for a metric over an empty sample (e.g. no earlier edits to re-check yet). */
    public static final String NOT_APPLICABLE = "n/a";

    /** The version metrics of the shared contract, every field "—" when absent. */
    public record MetricsView(String reliability, String generality, String locality, String batchReliability,
                              String batchGenerality, String batchEdits, String regressionReliability,
                              String regressionGenerality, String regressionEdits, String regressionSampled,
                              String localitySample, String editsCumulative, List<LayerNormRow> layers,
                              List<PhaseRow> phases, boolean hasZScores) {
        public static MetricsView of(JsonNode m) {
            List<LayerNormRow> layers = new ArrayList<>();
            for (JsonNode l : Fmt.at(m, "layers")) {
                layers.add(new LayerNormRow(Fmt.text(l, "layer"), Fmt.num(l, "deltaNorm", 4), Fmt.num(l, "stepNorm", 4)));
            }
            List<PhaseRow> phases = new ArrayList<>();
            JsonNode ps = Fmt.at(m, "phaseSeconds");
            if (ps.isObject()) {
                ps.fields().forEachRemaining(e -> phases.add(new PhaseRow(e.getKey(),
                        Fmt.num(e.getValue().isNumber() ? e.getValue().asDouble() : null, 1))));
            }
            JsonNode sampled = Fmt.at(m, "regression.sampled");
            // no earlier edit was re-checked (the first version of a branch): an empty sample, not a 0
            boolean empty = Fmt.at(m, "regression.edits").isIntegralNumber() && Fmt.at(m, "regression.edits").asInt() == 0;
            return new MetricsView(Fmt.num(m, "reliability", 3), Fmt.num(m, "generality", 3), Fmt.num(m, "locality", 3),
                    Fmt.num(m, "batch.reliability", 3), Fmt.num(m, "batch.generality", 3), Fmt.text(m, "batch.edits"),
                    empty ? NOT_APPLICABLE : Fmt.num(m, "regression.reliability", 3),
                    empty ? NOT_APPLICABLE : Fmt.num(m, "regression.generality", 3),
                    Fmt.text(m, "regression.edits"), sampled.isBoolean() ? (sampled.asBoolean() ? "yes" : "no") : MISSING,
                    Fmt.text(m, "localitySample"), Fmt.text(m, "editsCumulative"), layers, phases,
                    Fmt.at(m, "zScores.layers").isArray() && Fmt.at(m, "zScores.layers").size() > 0);
        }
    }

    /** A hook version as lists, pages and the lineage tree show it. */
    public record VersionRow(long id, long modelId, int number, Long parentVersionId, String parentNumber,
                             Long batchId, String method, String state, String submitter, String reviewer,
                             String reviewComment, String reviewedAt, String createdAt, String bundleDigest,
                             String shortDigest, String editsCumulative, String branch, List<String> channels,
                             MetricsView metrics, List<AlphaRow> alpha, Long blockedBy, boolean gatePassed,
                             String gateText, String gateOverride) {
        public static VersionRow of(JsonNode v, Map<Long, List<String>> channelsByVersion, Map<Long, String> branchByBatch) {
            long id = v.path("id").asLong();
            Long batchId = Fmt.id(v, "batchId");
            List<AlphaRow> alpha = new ArrayList<>();
            for (JsonNode a : Fmt.at(v, "alpha")) {
                alpha.add(new AlphaRow(Fmt.text(a, "layer"), Fmt.num(a, "before", 4), Fmt.num(a, "after", 4),
                        Fmt.change(Fmt.number(a, "before"), Fmt.number(a, "after"), 4)));
            }
            String branch = batchId == null || branchByBatch == null ? MISSING : branchByBatch.getOrDefault(batchId, MISSING);
            return new VersionRow(id, v.path("modelId").asLong(), v.path("number").asInt(), Fmt.id(v, "parentVersionId"),
                    Fmt.text(v, "parentNumber"), batchId, Fmt.text(v, "method"), Fmt.text(v, "state"),
                    Fmt.text(v, "submitter"), Fmt.text(v, "reviewer"), Fmt.text(v, "reviewComment"),
                    Fmt.time(v, "reviewedAt"), Fmt.time(v, "createdAt"), Fmt.text(v, "bundleDigest"),
                    Fmt.shortDigest(Fmt.text(v, "bundleDigest")), Fmt.text(v, "editsCumulative"), branch,
                    channelsByVersion == null ? List.of() : channelsByVersion.getOrDefault(id, List.of()),
                    MetricsView.of(v.path("metrics")), alpha, Fmt.id(v, "blockedBy"),
                    !v.path("gate").path("passed").isBoolean() || v.path("gate").path("passed").asBoolean(),
                    gateText(v.path("gate")), Fmt.text(v.path("gate"), "override"));
        }

        /** The quality gate's misses in words ("reliability 0.000 < 0.8; ..."), or "—" when it passed. */
        static String gateText(JsonNode gate) {
            List<String> parts = new ArrayList<>();
            for (JsonNode f : gate.path("failures")) {
                String value = f.path("value").isNumber() ? String.format(java.util.Locale.ROOT, "%.3f",
                        f.path("value").asDouble()) : "not reported";
                String bound = f.path("bound").asText();
                parts.add(f.path("metric").asText() + " " + value + " (gate: " + bound + " "
                        + f.path("threshold").asText() + ")");
            }
            return parts.isEmpty() ? MISSING : String.join("; ", parts);
        }

        /** True when an ancestor's rejection blocked this version. */
        public boolean blocked() {
            return "BLOCKED".equals(state);
        }

        /** Rejected or blocked: greyed out in lists and charts. */
        public boolean dead() {
            return "REJECTED".equals(state) || "BLOCKED".equals(state);
        }

        /** Lower-case state for CSS classes. */
        public String stateClass() {
            return state.toLowerCase(java.util.Locale.ROOT);
        }

        /** True while the version awaits review. */
        public boolean temporary() {
            return "TEMPORARY".equals(state);
        }

        /** True when channels may point at it. */
        public boolean validated() {
            return "VALIDATED".equals(state);
        }
    }

    /** One row of the lineage tree: the version at a depth (0 = directly on the base model). */
    public record LineageRow(int depth, String depthClass, VersionRow version, boolean leaf) {
    }

    /** A batch in lists and on its page. */
    public record BatchRow(long id, long modelId, String branch, String position, String submitter, String reason,
                           String ticket, String method, String status, String phase, int percent,
                           String progressText, Long resultVersionId, String editCount, String createdAt,
                           String updatedAt, String error, String job, String hyperparameters, String modelDefaults,
                           boolean active) {
        public static BatchRow of(JsonNode b) {
            String status = Fmt.text(b, "status");
            boolean active = status.equals("SUBMITTED") || status.equals("QUEUED") || status.equals("RUNNING");
            Double pct = Fmt.number(b, "progress.percent");
            int percent = pct == null ? (status.equals("COMPUTED") || status.equals("VALIDATED")
                    || status.equals("REJECTED") ? 100 : 0) : (int) Math.max(0, Math.min(100, Math.round(pct)));
            String phase = Fmt.text(b, "progress.phase");
            String progressText = switch (status) {
                case "RUNNING" -> (phase.equals(MISSING) ? "running" : phase) + " " + percent + " %";
                case "QUEUED" -> "waiting for a worker";
                case "SUBMITTED" -> "not queued";
                default -> status.toLowerCase(java.util.Locale.ROOT);
            };
            JsonNode job = b.path("job");
            String jobText = job.isObject() ? "job " + Fmt.text(job, "id") + " · " + Fmt.text(job, "status") + " · attempt "
                    + Fmt.text(job, "attempt") + (job.hasNonNull("leasedBy") ? " · " + job.get("leasedBy").asText() : "")
                    : MISSING;
            JsonNode hp = b.path("hyperparameters");
            return new BatchRow(b.path("id").asLong(), b.path("modelId").asLong(), Fmt.text(b, "branch"),
                    Fmt.text(b, "position"), Fmt.text(b, "submitter"), Fmt.text(b, "reason"), Fmt.text(b, "ticket"),
                    Fmt.text(b, "method"), status, phase, percent, progressText, Fmt.id(b, "resultVersionId"),
                    Fmt.text(b, "editCount"), Fmt.time(b, "createdAt"), Fmt.time(b, "updatedAt"), Fmt.text(b, "error"),
                    jobText, hp.isMissingNode() || hp.isNull() ? MISSING : hp.toString(),
                    b.path("modelDefaults").isObject() && !b.path("modelDefaults").isEmpty()
                            ? b.path("modelDefaults").toString() : "none", active);
        }

        /** Lower-case status for CSS classes. */
        public String statusClass() {
            return status.toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** One fact edit: the prompt with the subject filled in, the new and the old target, its relation label. */
    public record FactRow(String batch, String subject, String statement, String targetNew, String targetTrue,
                          String paraphrases, String locality, String relation, String supersedes) {
        public static FactRow of(String batch, JsonNode e) {
            String prompt = Fmt.text(e, "prompt");
            String subject = Fmt.text(e, "subject");
            List<String> para = new ArrayList<>();
            e.path("paraphrases").forEach(p -> para.add(p.asText()));
            List<String> loc = new ArrayList<>();
            e.path("locality").forEach(p -> loc.add(Fmt.text(p, "prompt") + " → " + Fmt.text(p, "expected")));
            return new FactRow(batch, subject, prompt.replace("{}", subject), Fmt.text(e, "targetNew"),
                    Fmt.text(e, "targetTrue"), para.isEmpty() ? MISSING : String.join(" · ", para),
                    loc.isEmpty() ? MISSING : String.join(" · ", loc), Fmt.text(e, "relation"),
                    e.path("supersedes").isObject() ? "replaces '" + Fmt.text(e.path("supersedes"), "targetNew")
                            + "' (edit " + Fmt.text(e.path("supersedes"), "editId") + ", batch "
                            + Fmt.text(e.path("supersedes"), "batchId") + ")" : MISSING);
        }
    }

    /**
     * One fact's evidence on a version page (issue 25): base -> edited top-1 and probabilities,
     * paraphrase and locality passes; failures are listed first by the API.
     */
    public record EvidenceRow(boolean passed, String origin, Long batchId, String statement, String targetNew,
                              String targetTrue, String baseTop1, String editedTop1, String pNew, String pOld,
                              String paraphrases, String locality, String failed) {
        public static EvidenceRow of(JsonNode f) {
            String statement = Fmt.text(f, "prompt").replace("{}", Fmt.text(f, "subject"));
            List<String> failed = new ArrayList<>();
            if (!f.path("success").asBoolean(false)) {
                failed.add("new target not top-1");
            }
            int paraPass = 0;
            int paraN = 0;
            for (JsonNode p : f.path("paraphrases")) {
                paraN++;
                if (p.path("pass").asBoolean(false)) {
                    paraPass++;
                } else {
                    failed.add("paraphrase “" + Fmt.text(p, "prompt") + "”");
                }
            }
            int locPass = 0;
            int locN = 0;
            for (JsonNode l : f.path("locality")) {
                locN++;
                if (l.path("pass").asBoolean(false)) {
                    locPass++;
                } else {
                    failed.add("locality “" + Fmt.text(l, "prompt") + "” changed");
                }
            }
            return new EvidenceRow(f.path("passed").asBoolean(false), Fmt.text(f, "origin"), Fmt.id(f, "batchId"),
                    statement, Fmt.text(f, "targetNew"), Fmt.text(f, "targetTrue"), Fmt.text(f.path("base"), "top1"),
                    Fmt.text(f.path("edited"), "top1"),
                    Fmt.num(f.path("base"), "pNew", 3) + " → " + Fmt.num(f.path("edited"), "pNew", 3),
                    Fmt.num(f.path("base"), "pOld", 3) + " → " + Fmt.num(f.path("edited"), "pOld", 3),
                    paraN == 0 ? MISSING : paraPass + "/" + paraN, locN == 0 ? MISSING : locPass + "/" + locN,
                    failed.isEmpty() ? MISSING : String.join("; ", failed));
        }
    }

    /** A greedy continuation before and after the edit. */
    public record GenerationRow(String prompt, String before, String after) {
        public static GenerationRow of(JsonNode g) {
            return new GenerationRow(Fmt.text(g, "prompt"), Fmt.text(g, "before"), Fmt.text(g, "after"));
        }
    }

    /** A channel of a model. */
    public record ChannelRow(long modelId, String name, long versionId, String versionNumber, String bundleDigest,
                             String shortDigest, String updatedAt, String updatedBy, boolean blocked,
                             String healthMessage, Long suggestedVersionId, String requiredApprovals) {
        public static ChannelRow of(JsonNode c) {
            JsonNode h = c.path("health");
            return new ChannelRow(c.path("modelId").asLong(), Fmt.text(c, "name"), c.path("versionId").asLong(),
                    Fmt.text(c, "versionNumber"), Fmt.text(c, "bundleDigest"), Fmt.shortDigest(Fmt.text(c, "bundleDigest")),
                    Fmt.time(c, "updatedAt"), Fmt.text(c, "updatedBy"), h.path("blocked").asBoolean(false),
                    Fmt.text(h, "message"), Fmt.id(h, "suggestedVersionId"), Fmt.text(c, "requiredApprovals"));
        }
    }

    /** One move of a channel (newest first). */
    public record MoveRow(String kind, String from, String to, String actor, String reason, String movedAt) {
        public static MoveRow of(JsonNode m, Map<Long, Integer> numberById) {
            return new MoveRow(Fmt.text(m, "kind"), label(Fmt.id(m, "fromVersionId"), numberById),
                    label(Fmt.id(m, "toVersionId"), numberById), Fmt.text(m, "actor"), Fmt.text(m, "reason"),
                    Fmt.time(m, "movedAt"));
        }

        private static String label(Long id, Map<Long, Integer> numberById) {
            if (id == null) {
                return MISSING;
            }
            Integer n = numberById.get(id);
            return n == null ? "id " + id : "v" + n;
        }
    }

    /** A serving node and what it runs now. */
    public record NodeRow(long id, String name, String channel, String address, String loaded, String digest,
                          String status, String message, String lastSeenAt, boolean stale, String silentFor) {
        /** A node that has not reported for this long is shown as stale (it heartbeats every 5 s). */
        public static final java.time.Duration STALE_AFTER = java.time.Duration.ofSeconds(30);

        public static NodeRow of(JsonNode n, Map<Long, Integer> numberById) {
            Long loaded = Fmt.id(n, "loadedVersionId");
            String loadedText = loaded == null ? MISSING
                    : numberById.containsKey(loaded) ? "v" + numberById.get(loaded) : "id " + loaded;
            java.time.Duration silent = null;
            try {
                silent = java.time.Duration.between(java.time.Instant.parse(n.path("lastSeenAt").asText()),
                        java.time.Instant.now());
            } catch (java.time.format.DateTimeParseException e) {
                // no or malformed time: not judged
            }
            boolean stale = silent != null && silent.compareTo(STALE_AFTER) > 0;
            return new NodeRow(n.path("id").asLong(), Fmt.text(n, "name"), Fmt.text(n, "channel"), Fmt.text(n, "address"),
                    loadedText, Fmt.shortDigest(Fmt.text(n, "loadedDigest")), Fmt.text(n, "status"),
                    Fmt.text(n, "message"), Fmt.time(n, "lastSeenAt"), stale,
                    silent == null ? MISSING : silent.toSeconds() + " s");
        }
    }

    /** One report of a serving node (a row whenever what it runs changes). */
    public record NodeReportRow(String reportedAt, String loaded, String digest, String status, String message) {
        public static NodeReportRow of(JsonNode r, Map<Long, Integer> numberById) {
            Long v = Fmt.id(r, "versionId");
            String loaded = v == null ? "v0 (base) or nothing" : numberById.containsKey(v) ? "v" + numberById.get(v)
                    : "id " + v;
            return new NodeReportRow(Fmt.time(r, "reportedAt"), loaded, Fmt.shortDigest(Fmt.text(r, "digest")),
                    Fmt.text(r, "status"), Fmt.text(r, "message"));
        }
    }

    /** One audit event. */
    public record AuditRow(long seq, String at, String actor, String action, String entity, String payload,
                           String hash) {
        public static AuditRow of(JsonNode e) {
            JsonNode p = e.path("payload");
            String payload = p.isMissingNode() || p.isNull() ? MISSING : p.toString();
            if (payload.length() > 240) {
                payload = payload.substring(0, 239) + "…";
            }
            return new AuditRow(e.path("seq").asLong(), Fmt.time(e, "at"), Fmt.text(e, "actor"), Fmt.text(e, "action"),
                    Fmt.text(e, "entityType") + " " + Fmt.text(e, "entityId"), payload,
                    Fmt.shortDigest("sha256:" + Fmt.text(e, "hash")));
        }
    }

    /** The audit chain verification as the page banner shows it. */
    public record ChainStatus(boolean known, boolean ok, String text) {
    }

    /** One metric in a diff. */
    public record MetricDiffRow(String name, String from, String to, String change) {
    }

    /** One layer in a diff: hook state norm and alpha of both versions. */
    /**
     * One layer of the registry's tensor diff (GET /api/versions/{from}/diff/{to}/tensors).
     *
     * @param layer          block index
     * @param fromNorm       ||delta_from||_F
     * @param toNorm         ||delta_to||_F
     * @param diffNorm       ||delta_to - delta_from||_F
     * @param relative       diffNorm over the larger side's norm
     * @param singularValues the top singular values of the difference, comma separated
     * @param topEnergy      share of ||D||_F^2 in them
     * @param moved          whether the layer's delta changed
     */
    public record TensorDiffRow(String layer, String fromNorm, String toNorm, String diffNorm, String relative,
                                String singularValues, String topEnergy, boolean moved) {
        /** A row from the API's layer object. */
        public static TensorDiffRow of(com.fasterxml.jackson.databind.JsonNode l) {
            StringBuilder sv = new StringBuilder();
            for (com.fasterxml.jackson.databind.JsonNode s : l.path("singularValues")) {
                sv.append(sv.length() == 0 ? "" : ", ").append(Fmt.num(s.asDouble(), 4));
            }
            return new TensorDiffRow(l.path("layer").asText(), Fmt.num(l.path("fromNorm").asDouble(), 4),
                    Fmt.num(l.path("toNorm").asDouble(), 4), Fmt.num(l.path("diffNorm").asDouble(), 4),
                    Fmt.num(l.path("relativeChange").asDouble(), 4), sv.length() == 0 ? "—" : sv.toString(),
                    Fmt.num(l.path("topEnergy").asDouble(), 3), l.path("moved").asBoolean());
        }
    }

    public record LayerDiffRow(String layer, String fromDelta, String toDelta, String deltaChange, String fromAlpha,
                               String toAlpha, String alphaChange) {
    }

    /** An option of a select box. */
    public record Option(String value, String label, boolean selected) {
    }
}
