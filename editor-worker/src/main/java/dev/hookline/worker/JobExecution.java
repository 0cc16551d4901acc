/*
 * One leased edit job from lease to completion (docs/API.md "Jobs"; DESIGN.md section 2 data
 * flow): pull the base checkpoint and the parent hook bundle (sha256-verified), load or compute
 * the key statistics, apply the batch with CoachHooK on top of the parent's hook state,
 * evaluate (this batch, a regression sample of the branch's earlier edits, a locality sample),
 * write the new hook bundle, upload every blob, and only then complete the job.
 */
package dev.hookline.worker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hookline.client.BlobRef;
import dev.hookline.client.BlobUpload;
import dev.hookline.client.RegistryClient;
import dev.hookline.client.RegistryException;
import dev.hookline.client.Sha256;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.bench.EditData;
import dev.hookline.engine.bundle.HookBundle;
import dev.hookline.engine.bundle.HookedModel;
import dev.hookline.engine.edit.ClosedFormEditor;
import dev.hookline.engine.edit.LayerStatistics;
import dev.hookline.engine.edit.SequentialEditor;
import dev.hookline.engine.eval.EditEvaluator;
import dev.hookline.engine.eval.EditScores;
import dev.hookline.engine.hook.HookLayer;
import dev.hookline.engine.infer.LanguageModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs one lease; not reusable. */
final class JobExecution {
    private static final Logger LOG = LoggerFactory.getLogger(JobExecution.class);
    private static final ObjectMapper JSON = RegistryClient.json();
    /** Registry manifest roles of a hook bundle: the bundle's own file names. */
    static final String ROLE_MANIFEST = HookBundle.MANIFEST;
    static final String ROLE_SERVING = HookBundle.SERVING;
    static final String ROLE_EDITING = HookBundle.EDITING;
    /** Stats entry roles: the corpus the statistics come from, and the engine's cached files. */
    static final String ROLE_CORPUS = "corpus.txt";

    private final WorkerConfig config;
    private final RegistryClient client;
    private final BlobCache cache;
    private final WorkerMetrics metrics;
    private final JsonNode lease;
    private final long jobId;
    private final int attempt;
    private final String leaseToken;
    private final JsonNode batch;
    private final Supplier<Boolean> releaseRequested;
    private final Map<String, Double> phaseSeconds = new LinkedHashMap<>();
    private String phase = "leased";
    private Heartbeat heartbeat;

    JobExecution(WorkerConfig config, RegistryClient client, BlobCache cache, WorkerMetrics metrics, JsonNode lease,
            Supplier<Boolean> releaseRequested) {
        this.config = config;
        this.client = client;
        this.cache = cache;
        this.metrics = metrics;
        this.lease = lease;
        this.jobId = lease.path("job").path("id").asLong();
        this.attempt = lease.path("job").path("attempt").asInt();
        this.leaseToken = lease.path("leaseToken").asText();
        this.batch = lease.path("batch");
        this.releaseRequested = releaseRequested;
    }

    long jobId() {
        return jobId;
    }

    /**
     * The leased job's compute on local files, without a registry (`worker run-local`): the batch
     * is a registry batch view (method, hyperparameters, edits), the parent a bundle directory.
     * Writes the bundle the registry would get to {@code out} (which must not exist) and returns
     * the completion the worker would send, with the phase times, minus the manifest's blob keys.
     *
     * @param earlier the branch's earlier edits (the regression sample), oldest first
     */
    static ObjectNode runLocal(WorkerConfig config, Path modelDir, Path parentDir, JsonNode batch,
            List<EditRequest> earlier, Path corpusFile, Path out) throws IOException {
        if (Files.exists(out)) {
            throw new IllegalArgumentException("--out " + out + " exists; give a new directory");
        }
        ObjectNode lease = JSON.createObjectNode();
        lease.putObject("job").put("id", batch.path("id").asLong(0)).put("attempt", 1);
        lease.put("leaseToken", "local");
        lease.set("batch", batch);
        JobExecution job = new JobExecution(config, null, null, new WorkerMetrics(), lease, () -> false);
        EditMapping.Plan requested = EditMapping.plan(batch.path("method").asText("coachhook"),
                batch.path("hyperparameters"), batch.path("modelDefaults"), config.statisticsLines());
        List<EditRequest> requests = EditMapping.requests(batch);
        Files.createDirectories(out.toAbsolutePath().getParent());
        Path work = Files.createTempDirectory(out.toAbsolutePath().getParent(), ".run-local-");
        try {
            Set<String> statsBefore = new HashSet<>();
            Path statsDir = modelDir.resolve("hookline-stats");
            if (Files.isDirectory(statsDir)) {
                try (Stream<Path> files = Files.list(statsDir)) {
                    files.forEach(f -> statsBefore.add(f.getFileName().toString()));
                }
            }
            long t = System.nanoTime();
            Computed computed = job.computeFromFiles(work, modelDir, statsBefore,
                    () -> corpusFile != null && Files.isRegularFile(corpusFile) ? EditData.readCorpus(corpusFile) : null,
                    "model " + modelDir, parentDir, "parent bundle " + parentDir, requests, earlier, requested,
                    statsName -> job.log("statistics", "computed {} (kept in {})", statsName, statsDir));
            Files.move(computed.bundleDir(), out);
            ObjectNode completion = JSON.createObjectNode();
            completion.put("bundle", out.toString());
            completion.set("alpha", computed.alpha());
            computed.metrics().set("phaseSeconds", JSON.valueToTree(job.phaseSeconds));
            computed.metrics().put("totalSeconds", (System.nanoTime() - t) / 1e9);
            completion.set("metrics", computed.metrics());
            if (computed.evidence() != null) {
                completion.set("evidence", computed.evidence());
            }
            return completion;
        } finally {
            deleteTree(work);
        }
    }

    String leaseToken() {
        return leaseToken;
    }

    /** What became of the job. */
    enum Outcome { DONE, FAILED, CANCELLED, LOST, RELEASED }

    /** Runs the job to its end; never throws for job-level problems (they become a failed job). */
    Outcome run() {
        Path work = config.cacheDir().resolve("work").resolve("job-" + jobId + "-a" + attempt);
        metrics.running(true);
        log("start", "batch={} model={} branch={} method={} edits={} parentVersion={}", batch.path("id").asLong(),
                batch.path("modelId").asLong(), batch.path("branch").asText(), batch.path("method").asText(),
                batch.path("edits").size(), lease.path("parentVersionId").isNull() ? 0 : lease.path("parentVersionId").asLong());
        try (Heartbeat hb = new Heartbeat(client, jobId, leaseToken, config.leaseSeconds(), config.heartbeat())) {
            heartbeat = hb;
            ObjectNode completion = compute(work);
            progress("complete", 99);
            JsonNode version = completeWithRetry(completion);
            log("done", "version={} number={} digest={} phaseSeconds={}", version.path("id").asLong(),
                    version.path("number").asInt(), version.path("bundleDigest").asText(), phaseSeconds);
            return Outcome.DONE;
        } catch (JobStopped e) {
            log("stopped", "kind={} reason=\"{}\"", e.kind(), e.getMessage());
            if (e.kind() == JobStopped.Kind.RELEASED) {
                release();
                return Outcome.RELEASED;
            }
            return e.kind() == JobStopped.Kind.CANCELLED ? Outcome.CANCELLED : Outcome.LOST;
        } catch (RuntimeException | IOException | Error e) {
            String error = "phase " + phase + ": " + describe(e);
            LOG.error("job={} attempt={} phase={} event=failed error=\"{}\"", jobId, attempt, phase, error, e);
            try {
                client.fail(jobId, leaseToken, error);
                return Outcome.FAILED;
            } catch (RegistryException f) {
                // Lease gone (409) or registry down: the lease expires and another attempt runs.
                LOG.warn("job={} attempt={} event=fail-not-recorded error=\"{}\"", jobId, attempt, f.getMessage());
                return f.isConflict() ? Outcome.LOST : Outcome.FAILED;
            }
        } finally {
            metrics.running(false);
            deleteTree(work);
        }
    }

    /** Gives the lease back so that another worker can take the job at once (graceful shutdown). */
    void release() {
        try {
            client.post("/api/jobs/" + jobId + "/release", Map.of("leaseToken", leaseToken));
            log("released", "lease returned to the queue");
        } catch (RegistryException e) {
            LOG.warn("job={} attempt={} event=release-failed error=\"{}\" (the lease will expire instead)", jobId,
                    attempt, e.getMessage());
        }
    }

    private ObjectNode compute(Path work) throws IOException {
        // Validated before anything is pulled; the layers are resolved once the model and parent are known.
        // The batch's model defaults are those of its submission (the registry's snapshot), not the model's now.
        EditMapping.Plan requested = EditMapping.plan(batch.path("method").asText(), batch.path("hyperparameters"),
                batch.path("modelDefaults"), config.statisticsLines());
        List<EditRequest> requests = EditMapping.requests(batch);
        long modelId = batch.path("modelId").asLong();

        // ---- pull: base checkpoint, parent bundle, statistics files, the branch's earlier edits
        long t = System.nanoTime();
        progress("pull", 2);
        JsonNode model = client.get("/api/models/" + modelId);
        Path modelDir = work.resolve("model");
        for (JsonNode e : model.path("checkpoint")) {
            cache.materialise(ref(e), modelDir.resolve(safeName(e.path("role").asText())));
        }
        Path statsDir = modelDir.resolve("hookline-stats");
        Files.createDirectories(statsDir);
        Set<String> statsBefore = new HashSet<>();
        JsonNode corpusEntry = null;
        for (JsonNode e : model.path("stats")) {
            String role = e.path("role").asText();
            if (role.equals(ROLE_CORPUS)) {
                corpusEntry = e;
            } else if (role.equals(ModelOnboarding.ROLE_CORPUS_SOURCE)) {
                continue; // the record of which corpus it is, for people
            } else if (role.endsWith(".safetensors") || role.endsWith(".json")) {
                cache.materialise(ref(e), statsDir.resolve(safeName(role)));
                statsBefore.add(safeName(role));
            }
        }
        JsonNode parentVersion = null;
        Path parentDir = null;
        if (!lease.path("parentVersionId").isNull() && !lease.path("parentVersionId").isMissingNode()) {
            parentVersion = client.get("/api/versions/" + lease.path("parentVersionId").asLong());
            parentDir = work.resolve("parent");
            for (String part : new String[] {"serving", "editing"}) {
                for (JsonNode e : parentVersion.path("manifest").path(part)) {
                    cache.materialise(ref(e), parentDir.resolve(safeName(e.path("role").asText())));
                }
            }
        }
        List<EditRequest> earlier = lineageEdits(parentVersion);
        phaseDone("pull", t);

        JsonNode corpusRef = corpusEntry;
        JsonNode parentRef = parentVersion;
        Computed computed = computeFromFiles(work, modelDir, statsBefore, () -> corpusRef == null ? null
                // plain text or JSON lines (register-model --corpus)
                : EditData.readCorpus(cache.materialise(ref(corpusRef), work.resolve(ROLE_CORPUS))),
                "model " + modelId, parentDir, parentRef == null ? "" : "parent version " + parentRef.path("id").asLong(),
                requests, earlier, requested, statsName -> publishStatistics(modelId, statsDir, statsName));

        // ---- upload the bundle; nothing is recorded before every blob is stored
        t = System.nanoTime();
        progress("upload", 90);
        Path bundleDir = computed.bundleDir();
        ObjectNode manifest = JSON.createObjectNode();
        ArrayNode serving = manifest.putArray("serving");
        ArrayNode editing = manifest.putArray("editing");
        serving.add(upload(bundleDir.resolve(HookBundle.MANIFEST), ROLE_MANIFEST));
        serving.add(upload(bundleDir.resolve(HookBundle.SERVING), ROLE_SERVING));
        if (Files.exists(bundleDir.resolve(HookBundle.EDITING))) { // a codebook bundle has no editing part
            editing.add(upload(bundleDir.resolve(HookBundle.EDITING), ROLE_EDITING));
        }
        phaseDone("upload", t);
        checkLease();
        stopIfReleased();

        ObjectNode metricsJson = computed.metrics();
        metricsJson.set("phaseSeconds", JSON.valueToTree(phaseSeconds));
        ObjectNode completion = JSON.createObjectNode();
        completion.put("leaseToken", leaseToken);
        completion.set("manifest", manifest);
        completion.set("alpha", computed.alpha());
        completion.set("metrics", metricsJson);
        if (computed.evidence() != null) {
            completion.set("evidence", computed.evidence());
        }
        return completion;
    }

    /**
     * What {@link #computeFromFiles} made: the bundle directory, the metrics, the alpha moves and
     * the per-fact evidence (null when it could not be measured).
     */
    record Computed(Path bundleDir, ObjectNode metrics, ArrayNode alpha, ObjectNode evidence) {}

    /** Receives the name of statistics computed (not loaded) by a job, to publish them. */
    interface StatisticsSink {
        void computed(String statsName) throws IOException;
    }

    /** Reads the model's corpus, or returns null if it has none. */
    interface CorpusSource {
        List<String> lines() throws IOException;
    }

    /**
     * The job's compute from local files, the same for a leased job and `worker run-local`: load
     * the model on the configured device, load or compute the key statistics (cached under
     * modelDir/hookline-stats), restore the parent bundle, apply the batch, evaluate, and write
     * the new bundle to {@code work/bundle}.
     *
     * @param statsBefore statistics file names present before the job (others are announced to {@code sink})
     * @param parentDir the parent bundle's directory, or null for a branch's first version
     */
    Computed computeFromFiles(Path work, Path modelDir, Set<String> statsBefore, CorpusSource corpusSource,
            String modelLabel, Path parentDir, String parentLabel, List<EditRequest> requests,
            List<EditRequest> earlier, EditMapping.Plan requested, StatisticsSink sink) throws IOException {
        Path statsDir = modelDir.resolve("hookline-stats");
        Files.createDirectories(statsDir);
        long t;
        try (LanguageModel lm = LanguageModel.load(modelDir)) {
            String baseDigest = lm.modelDigest();
            HookBundle parent = null;
            if (parentDir != null) {
                parent = HookBundle.read(parentDir);
                if (!parent.baseModelDigest().equals(baseDigest)) {
                    throw new IllegalStateException(parentLabel
                            + " was made for base model " + parent.baseModelDigest() + ", not " + baseDigest);
                }
            }
            EditMapping.Plan plan = requested.forModel(lm.model().config().layerCount(),
                    parent != null ? parent.layers() : null);
            if (parent != null) {
                plan = plan.withParent(parent.lambda(), parent.scopeLambda(), parent.alpha().get(parent.layers()[0]),
                        parent.relationScopes() != null ? parent.relationScopes().scopeKeys() : null,
                        parent.relationScopes() != null ? parent.relationScopes().routes() : null)
                        .withParentUpdate(parent.method(), parent.hyperparameters());
            }
            if (parent != null && !parent.scope().equals(EditMapping.bundleScope(plan.method()))) {
                throw new IllegalArgumentException(parentLabel + " ("
                        + parent.method() + ") has scope test " + parent.scope() + " but " + plan.method() + " needs "
                        + EditMapping.bundleScope(plan.method()) + ": continue a branch with a method of its scope");
            }
            if (parent != null && (EditMapping.isCodebook(plan.method()) || EditMapping.isCodebook(parent.method()))
                    && !parent.method().equals(plan.method())) {
                // A codebook continues only under its own method (codebook-subject's rows are subject-gated,
                // codebook-nearest's are not, and the delta methods keep no codebook): refused before any work.
                throw new IllegalArgumentException(parentLabel + " was made by " + parent.method() + "; "
                        + plan.method() + " cannot continue it: continue the branch with " + parent.method()
                        + " or start a new branch");
            }

            // ---- statistics: the registry's cached C0 for these layers, else compute from the model's corpus
            t = System.nanoTime();
            progress("statistics", 15);
            List<String> corpus = List.of();
            LayerStatistics stats;
            int statsLines = LayerStatistics.resolveLines(plan.statisticsLines(), lm.model().config().mlpSize());
            String statsName = statisticsFileName(baseDigest, plan.params().layers(), statsLines);
            if (!statsBefore.contains(statsName)) {
                List<String> lines = corpusSource.lines();
                if (lines == null) {
                    throw new IllegalStateException(modelLabel + " has no key statistics for layers "
                            + java.util.Arrays.toString(plan.params().layers()) + " (" + statsName
                            + ") and no corpus.txt to compute them from; onboard it with `hookline worker register-model`");
                }
                corpus = lines;
                log("statistics", "computing C0 for layers {} over {} lines", java.util.Arrays.toString(plan.params().layers()),
                        statsLines);
            }
            stats = LayerStatistics.loadOrCompute(lm.model(), lm.tokenizer(), corpus, statsLines,
                    plan.params().layers(), statsDir);
            String statisticsKey = "sha256/" + Sha256.hex(statsDir.resolve(statsName));
            if (!statsBefore.contains(statsName)) {
                sink.computed(statsName);
            }
            phaseDone("statistics", t);
            checkLease();

            // ---- compute: one CoachHooK batch step on top of the parent's hook state
            t = System.nanoTime();
            progress("compute", 25);
            try (ClosedFormEditor editor = EditMapping.editor(plan, lm.model(), lm.tokenizer(), stats)) {
                if (parent != null) {
                    editor.restore(parent);
                }
                Map<Integer, Double> alphaBefore = new LinkedHashMap<>(editor.alphas());
                Map<Integer, float[]> deltaBefore = new LinkedHashMap<>();
                for (int l : editor.layers()) {
                    deltaBefore.put(l, editor.hookState(l));
                }
                SequentialEditor.BatchOutcome outcome = editor.apply(requests);
                phaseDone("compute", t);
                checkLease();
                stopIfReleased();

                // ---- evaluate: this batch, the branch's earlier edits, unrelated facts, z-scores
                t = System.nanoTime();
                progress("evaluate", 75);
                ObjectNode metricsJson = evaluate(lm, editor, requests, earlier, deltaBefore, plan);
                double pNew = java.util.Arrays.stream(outcome.probabilityNew()).filter(Double::isFinite).average()
                        .orElse(0);
                metricsJson.put("valueStepProbabilityNew", pNew);
                phaseDone("evaluate", t);
                checkLease();

                // ---- write the bundle (the caller uploads it)
                String hyper = JSON.writeValueAsString(plan.hyperparameterRecord());
                HookBundle bundle = editor.snapshot(baseDigest, parent == null ? null : HookBundle.digest(parentDir), hyper);
                Path bundleDir = work.resolve("bundle");
                bundle.write(bundleDir);
                metricsJson.put("statisticsKey", statisticsKey);
                metricsJson.put("bundleManifestSha256", HookBundle.digest(bundleDir));
                ArrayNode alpha = JSON.createArrayNode();
                for (int l : editor.layers()) {
                    alpha.addObject().put("layer", l).put("before", alphaBefore.get(l))
                            .put("after", outcome.alphaAfter().getOrDefault(l, editor.alphas().get(l)));
                }
                return new Computed(bundleDir, metricsJson, alpha, evidence);
            }
        }
    }

    /** Per-fact evidence of the last evaluation (null when it could not be measured). */
    private ObjectNode evidence;

    private ObjectNode evaluate(LanguageModel lm, ClosedFormEditor editor, List<EditRequest> requests,
            List<EditRequest> earlier, Map<Integer, float[]> deltaBefore, EditMapping.Plan plan) {
        boolean sampled = earlier.size() > config.regressionSample();
        List<EditRequest> regression = new ArrayList<>(earlier);
        if (sampled) {
            Collections.shuffle(regression, new Random(jobId));
            regression = new ArrayList<>(regression.subList(0, config.regressionSample()));
        }
        List<EditRequest> all = new ArrayList<>(requests);
        all.addAll(regression);
        EditEvaluator evaluator = new EditEvaluator(lm.model(), lm.tokenizer(), all, EditEvaluator.Params.defaults());
        EditScores batchScores = evaluator.evaluate(editor.model(), editor.inferenceOptions(), requests);
        EditScores allScores = evaluator.evaluate(editor.model(), editor.inferenceOptions(), all);
        EditScores regressionScores = regression.isEmpty() ? null
                : evaluator.evaluate(editor.model(), editor.inferenceOptions(), regression);
        try {
            evidence = FactEvidence.build(lm, LanguageModel.wrap(editor.model(), lm.tokenizer()),
                    editor.inferenceOptions(), requests, regression);
        } catch (RuntimeException e) {
            // evidence is for reviewers; a version without it still carries its metrics
            LOG.warn("job={} event=evidence-failed: {}", jobId, e.toString());
            evidence = null;
        }
        int localitySample = 0;
        List<String> localityPrompts = new ArrayList<>();
        for (EditRequest r : all) {
            localitySample += Math.min(r.localityPrompts().size(), EditEvaluator.Params.defaults().maxNeighbours());
            localityPrompts.addAll(r.localityPrompts());
        }
        ObjectNode m = JSON.createObjectNode();
        m.put("reliability", batchScores.reliability());
        m.put("generality", finite(batchScores.generality()));
        m.put("locality", finite(allScores.locality()));
        m.putObject("batch").put("reliability", batchScores.reliability())
                .put("generality", finite(batchScores.generality())).put("edits", requests.size());
        ObjectNode reg = m.putObject("regression");
        reg.put("reliability", regressionScores == null ? 0 : regressionScores.reliability());
        reg.put("generality", regressionScores == null ? 0 : finite(regressionScores.generality()));
        reg.put("edits", regression.size());
        reg.put("sampled", sampled);
        m.put("localitySample", localitySample);
        m.put("editsCumulative", editor.editCount());
        ArrayNode layers = m.putArray("layers");
        for (int l : editor.layers()) {
            float[] after = editor.hookState(l); // the delta, and the codebook methods' rows after it
            float[] before = deltaBefore.get(l);
            double norm = 0;
            double step = 0;
            for (int i = 0; i < after.length; i++) {
                norm += (double) after[i] * after[i];
                double s = (double) after[i] - (i < before.length ? before[i] : 0);
                step += s * s;
            }
            layers.addObject().put("layer", l).put("deltaNorm", Math.sqrt(norm)).put("stepNorm", Math.sqrt(step));
        }
        // z-scores with the validated hooks: the edit token of each edit prompt vs every locality position
        ZScoreHistogram hist = new ZScoreHistogram(editor.layers());
        Map<Integer, HookLayer> hooks = editor.validatedHooks();
        LanguageModel view = LanguageModel.wrap(lm.model(), lm.tokenizer());
        String editToken = plan.params().valueStep().editToken();
        for (EditRequest r : requests) {
            String prompt = r.filledPrompt();
            int editPosition = editToken.equals("last") ? lm.tokenizer().encode(prompt).length - 1
                    : lm.tokenizer().encode(r.prompt().substring(0, r.prompt().indexOf("{}")) + r.subject()).length - 1;
            for (HookedModel.TokenTrace tr : HookedModel.explain(view, hooks, prompt)) {
                if (tr.position() == editPosition) {
                    hist.add(tr.layer(), tr.z(), true);
                }
            }
        }
        for (String prompt : localityPrompts) {
            for (HookedModel.TokenTrace tr : HookedModel.explain(view, hooks, prompt)) {
                hist.add(tr.layer(), tr.z(), false);
            }
        }
        ObjectNode scores = JSON.valueToTree(hist.toJson());
        // The key scopes (span, span-relation, nearest) score in [0, 1), not a z-score: say which one the histogram counts.
        String scope = plan.params().scope();
        scores.put("score", scope.startsWith("span") || scope.equals("nearest") ? "rho" : "z");
        m.set("zScores", scores);
        return m;
    }

    /** The edits of every version from the parent back to the base, oldest batch first. */
    private List<EditRequest> lineageEdits(JsonNode parentVersion) {
        List<List<EditRequest>> chain = new ArrayList<>();
        JsonNode v = parentVersion;
        int guard = 0;
        while (v != null && guard++ < 100_000) {
            JsonNode b = client.get("/api/batches/" + v.path("batchId").asLong());
            chain.add(EditMapping.requests(b));
            JsonNode parentId = v.path("parentVersionId");
            v = parentId.isNull() || parentId.isMissingNode() ? null : client.get("/api/versions/" + parentId.asLong());
        }
        Collections.reverse(chain);
        List<EditRequest> out = new ArrayList<>();
        chain.forEach(out::addAll);
        return out;
    }

    /** Uploads freshly computed statistics and adds them to the model's stats entries (kept: the others). */
    private void publishStatistics(long modelId, Path statsDir, String statsName) {
        List<ObjectNode> entries = new ArrayList<>();
        Set<String> roles = new HashSet<>();
        for (String name : new String[] {statsName, statsName.replace(".safetensors", ".json")}) {
            Path f = statsDir.resolve(name);
            if (Files.isRegularFile(f)) {
                entries.add(upload(f, name));
                roles.add(name);
            }
        }
        JsonNode current = client.get("/api/models/" + modelId);
        ArrayNode stats = JSON.createArrayNode();
        for (JsonNode e : current.path("stats")) {
            if (!roles.contains(e.path("role").asText())) {
                stats.add(e);
            }
        }
        entries.forEach(stats::add);
        client.put("/api/models/" + modelId + "/stats", Map.of("stats", stats));
        log("statistics", "published {} for model {}", statsName, modelId);
    }

    /** The engine's statistics cache file name (LayerStatistics.loadOrCompute) for these layers and lines. */
    static String statisticsFileName(String modelDigest, int[] layers, int lines) {
        int[] sorted = layers.clone();
        java.util.Arrays.sort(sorted);
        StringBuilder name = new StringBuilder("c0-").append(modelDigest, 0, 16).append("-L");
        for (int i = 0; i < sorted.length; i++) {
            name.append(i == 0 ? "" : "_").append(sorted[i]);
        }
        return name.append("-n").append(lines).append(".safetensors").toString();
    }

    private ObjectNode upload(Path file, String role) {
        RuntimeException last = null;
        for (int i = 0; i < 3; i++) {
            checkLease();
            try {
                BlobUpload up = client.uploadBlob(file);
                BlobRef ref = up.ref();
                if (up.note() != null) {
                    log("upload", "{} went through the registry ({}): {}", role, up.transfer(), up.note());
                }
                cache.adopt(file, ref);
                ObjectNode e = JSON.createObjectNode();
                e.put("role", role).put("key", ref.key()).put("size", ref.size());
                return e;
            } catch (RegistryException e) {
                if (!e.isTransient()) {
                    throw e;
                }
                last = e;
                log("upload", "upload of {} failed ({}); retrying", role, e.getMessage());
                sleep(1000L << i);
            }
        }
        throw new IllegalStateException("upload of " + role + " failed: the object store did not take it ("
                + last.getMessage() + ")", last);
    }

    private JsonNode completeWithRetry(ObjectNode completion) {
        for (int i = 0; ; i++) {
            try {
                return client.complete(jobId, completion);
            } catch (RegistryException e) {
                if (e.isConflict()) {
                    checkLease();
                    throw new JobStopped(JobStopped.Kind.LOST, e.detail() == null ? e.getMessage() : e.detail());
                }
                // Completion is idempotent per lease token: a retry after a lost answer yields the same version.
                if (!e.isTransient() || i >= 4) {
                    throw e;
                }
                log("complete", "completion failed ({}); retrying", e.getMessage());
                sleep(500L << i);
            }
        }
    }

    private void stopIfReleased() {
        if (releaseRequested.get()) {
            throw new JobStopped(JobStopped.Kind.RELEASED, "worker shutting down");
        }
    }

    private void progress(String p, int percent) {
        phase = p;
        if (heartbeat != null) { // null: a local run (no lease)
            heartbeat.progress(p, percent);
        }
    }

    private void checkLease() {
        if (heartbeat != null) {
            heartbeat.check();
        }
    }

    private void phaseDone(String p, long startNanos) {
        double s = Math.round((System.nanoTime() - startNanos) / 1e6) / 1e3;
        phaseSeconds.put(p, s);
        metrics.phase(p, s);
        log(p, "seconds={}", s);
    }

    private void log(String p, String format, Object... args) {
        if (LOG.isInfoEnabled()) {
            Object[] all = new Object[args.length + 3];
            all[0] = jobId;
            all[1] = attempt;
            all[2] = p;
            System.arraycopy(args, 0, all, 3, args.length);
            LOG.info("job={} attempt={} phase={} " + format, all);
        }
    }

    private static BlobRef ref(JsonNode entry) {
        return new BlobRef(entry.path("key").asText(), entry.path("size").asLong());
    }

    /** A manifest role as a file name: no directories, no dot files. */
    static String safeName(String role) {
        if (role.isEmpty() || role.contains("/") || role.contains("\\") || role.startsWith(".")) {
            throw new IllegalArgumentException("manifest role '" + role + "' is not a plain file name");
        }
        return role;
    }

    private static double finite(double v) {
        return Double.isFinite(v) ? v : 0;
    }

    static String describe(Throwable e) {
        String msg = e.getMessage();
        return msg == null ? e.getClass().getSimpleName() : msg;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Collections.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    LOG.warn("could not delete {}", p);
                }
            });
        } catch (IOException e) {
            LOG.warn("could not clean {}: {}", dir, e.getMessage());
        }
    }
}
