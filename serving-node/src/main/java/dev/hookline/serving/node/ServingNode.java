/*
 * The serving node's control loop: resolve the pin (channel or exact version) with ETag polling,
 * pull and verify a new version, load it next to the running one, swap atomically, and report
 * what runs to the registry. A version whose blobs fail verification is refused: the node keeps
 * serving the previous version, reports FAILED naming the digest and retries with backoff.
 * Reference: docs/API.md (Resolution, Serving nodes), DESIGN.md section 2 (data flow).
 */
package dev.hookline.serving.node;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hookline.client.BlobIntegrityException;
import dev.hookline.client.Conditional;
import dev.hookline.client.RegistryClient;
import dev.hookline.client.RegistryException;
import dev.hookline.client.Sha256;
import dev.hookline.serving.model.BaseModels;
import dev.hookline.serving.model.EditedFact;
import dev.hookline.serving.model.LoadedVersion;
import dev.hookline.serving.model.VersionHolder;
import dev.hookline.serving.pull.BlobCache;
import dev.hookline.serving.pull.Resolution;
import dev.hookline.serving.pull.VersionFetcher;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * One node: the current version ({@link #versions()}) and the loop that keeps it equal to the pin.
 *
 * <p>Status choice after a refused version: the node reports {@code FAILED} with the message
 * naming the failing digest <em>and the version it still serves</em> (versionId/digest of the
 * heartbeat stay those of the running version), and keeps reporting FAILED while its pin points
 * at a version it refuses. Reporting SERVING again for the old version would make the node list
 * look healthy while the node is not at its pin; FAILED + the loaded digest says exactly "runs
 * v1, could not get to v2". It returns to SERVING as soon as the pin resolves to a version it
 * loads (a retry that verifies, or a rollback). Readiness stays UP throughout: it serves.
 */
public final class ServingNode implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ServingNode.class);
    private static final int MAX_MESSAGE = 4000;
    /** Longest wait between attempts while the registry is unreachable or the model does not exist yet. */
    static final long MAX_WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** A condition that persists is reported again at most this often. */
    static final long REMIND_NANOS = TimeUnit.SECONDS.toNanos(60);

    /** What the node reports (docs/API.md "Serving nodes"). */
    public enum Status { STARTING, LOADING, SERVING, FAILED, STOPPED }

    /**
     * A version the node would not (or could not) load.
     *
     * @param versionId its registry id
     * @param number its number
     * @param digest its registry digest
     * @param message why, naming the failing blob digest where there is one
     * @param at when
     */
    public record Refusal(long versionId, int number, String digest, String message, Instant at) {
    }

    /**
     * The node's state as reported.
     *
     * @param status last reported status
     * @param message last reported message (null when none)
     * @param lastRefusal the most recent refused version, null once the pin loaded
     * @param nodeId registry node id, null until registered (and in local mode)
     */
    public record State(Status status, String message, Refusal lastRefusal, Long nodeId) {
    }

    private final ServeConfig config;
    private final RegistryClient client;
    private final BaseModels bases = new BaseModels();
    private final VersionHolder holder = new VersionHolder();
    private final VersionFetcher fetcher;
    private final LineageFacts lineage;
    private final ScheduledExecutorService loop;

    // Loop-thread state (only the single loop thread touches these).
    private Long nodeId;
    private Long modelId;
    private String modelName;
    private String etag;
    private Refusal pending;
    private long nextRetryNanos;
    private int failures;
    private long lastReportNanos;
    private boolean pinLoaded;
    private String lastLoopError;
    // Backoff while the node cannot get going (registry unreachable, model not there yet).
    private long waitUntilNanos;
    private int waits;
    private long waitingSinceNanos;
    private long remindedNanos;
    private Runnable onFatal = () -> { };
    private boolean tokenChecked;
    private boolean gaveUp;

    private volatile State state = new State(Status.STARTING, null, null, null);

    public ServingNode(ServeConfig config) {
        this.config = config;
        this.client = config.local() ? null : new RegistryClient(config.registry(), config.token());
        this.fetcher = new VersionFetcher(new BlobCache(config.cacheDir(), client));
        this.lineage = client == null ? null : new LineageFacts(client);
        this.loop = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "hookline-serving-watch");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * What to do when the node can never work as configured (the token is refused, or lacks the
     * SERVING role): the Quarkus runtime exits non-zero. Default: nothing (the node stays FAILED).
     */
    public ServingNode onFatal(Runnable action) {
        this.onFatal = action;
        return this;
    }

    /** Starts the loop: load the pin, then poll it every {@code pollInterval}. Returns at once. */
    public ServingNode start() {
        long poll = config.pollInterval().toMillis();
        loop.scheduleWithFixedDelay(this::tick, 0, poll, TimeUnit.MILLISECONDS);
        return this;
    }

    /** The current version (requests take leases on it). */
    public VersionHolder versions() {
        return holder;
    }

    /** The state as last reported. */
    public State state() {
        return state;
    }

    public ServeConfig config() {
        return config;
    }

    /** Base models loaded now (1 while serving one model, whatever the number of swaps). */
    public int loadedBases() {
        return bases.size();
    }

    // ------------------------------------------------------------------ loop

    private void tick() {
        if (gaveUp || (waitUntilNanos != 0 && System.nanoTime() - waitUntilNanos < 0)) {
            return; // backing off, or a token that can never work
        }
        try {
            if (config.local()) {
                if (!pinLoaded) {
                    loadLocal();
                }
                return;
            }
            if (modelId == null) {
                if (!tokenChecked && !checkToken()) {
                    return;
                }
                if (!findModel()) {
                    return;
                }
            }
            if (nodeId == null) {
                register();
            }
            poll();
            if (System.nanoTime() - lastReportNanos >= config.heartbeatInterval().toNanos()) {
                report(state.status(), state.message());
            }
        } catch (RegistryException e) {
            if (e.status() == 401 || e.status() == 403) {
                fatal("the registry refused this node's token (" + e.getMessage() + "); a serving node needs a token "
                        + "with the SERVING role (./hookline token create NAME --role SERVING)");
                return;
            }
            waitAndRetry(e.getMessage());
            return;
        } catch (RuntimeException e) {
            // The loop must survive anything: a dead loop would silently stop following the pin.
            String what = e.toString();
            if (!what.equals(lastLoopError)) {
                LOG.warnf("serving loop: %s (retrying every %d ms)", what, config.pollInterval().toMillis());
                lastLoopError = what;
            }
            return;
        }
        lastLoopError = null;
        if (waits > 0) {
            LOG.infof("registry and model %s reachable again after %d attempts over %d s", config.model(), waits + 1,
                    TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - waitingSinceNanos));
            waits = 0;
        }
    }

    /** Once, before anything else: a token that can never serve stops the node with one clear message. */
    private boolean checkToken() {
        JsonNode me = client.me();
        boolean serving = false;
        for (JsonNode r : me.path("roles")) {
            serving |= r.asText().equals("SERVING");
        }
        if (!serving) {
            fatal("the token of '" + me.path("principal").asText() + "' has roles " + me.path("roles")
                    + ", not SERVING: a serving node needs a SERVING token (./hookline token create NAME --role SERVING)");
            return false;
        }
        tokenChecked = true;
        return true;
    }

    private void fatal(String message) {
        LOG.error(message);
        setState(Status.FAILED, message, state.lastRefusal());
        gaveUp = true; // nothing to retry
        onFatal.run();
    }

    /**
     * Backs off (poll interval doubling up to 10 s) while the same condition persists, and says so
     * once at WARN, then at most once a minute with the count, instead of a line per attempt.
     */
    private void waitAndRetry(String condition) {
        long now = System.nanoTime();
        if (waits == 0 || !condition.equals(lastLoopError)) {
            if (waits == 0) {
                waitingSinceNanos = now;
            }
            LOG.warnf("%s; retrying with backoff (up to %d s)", condition, TimeUnit.NANOSECONDS.toSeconds(MAX_WAIT_NANOS));
            remindedNanos = now;
            lastLoopError = condition;
        } else if (now - remindedNanos >= REMIND_NANOS) {
            LOG.warnf("still: %s (%d attempts over %d s)", condition, waits + 1,
                    TimeUnit.NANOSECONDS.toSeconds(now - waitingSinceNanos));
            remindedNanos = now;
        }
        long wait = Math.min(MAX_WAIT_NANOS, config.pollInterval().toNanos() << Math.min(waits, 10));
        waits++;
        waitUntilNanos = now + wait;
    }

    private boolean findModel() {
        JsonNode models = client.get("/api/models");
        for (JsonNode m : models) {
            if (config.model().equals(m.path("name").asText())) {
                modelId = m.path("id").asLong();
                modelName = m.path("name").asText();
                return true;
            }
        }
        setState(Status.FAILED, "no model named '" + config.model() + "' in the registry", null);
        waitAndRetry("no model named '" + config.model() + "' in the registry at " + config.registry() + " (yet)");
        return false;
    }

    private void register() {
        JsonNode node = client.registerNode(config.nodeName(), modelId, config.channel(), config.address());
        nodeId = node.path("id").asLong();
        LOG.infof("registered as node %d (%s), pin %s of model %s", nodeId, config.nodeName(), config.pinText(), modelName);
        report(state.status(), state.message());
    }

    private void poll() {
        boolean retryDue = pending != null && System.nanoTime() >= nextRetryNanos;
        if (pinLoaded && config.version() != null) {
            return; // an exact version never changes once loaded
        }
        Resolution r;
        String newEtag;
        try {
            if (config.version() != null && config.version() == 0) {
                r = Resolution.base(client.get("/api/models/" + modelId));
                newEtag = null;
            } else {
                Conditional c = config.channel() != null
                        ? client.resolveChannel(modelId, config.channel(), retryDue ? null : etag)
                        : client.resolveVersion(config.version(), retryDue ? null : etag);
                if (c.notModified()) {
                    return;
                }
                r = Resolution.parse(c.body());
                newEtag = c.etag();
            }
        } catch (RegistryException e) {
            if (e.status() == 404 || e.status() == 422) {
                fail(null, "cannot resolve " + config.pinText() + " of model " + modelName + ": " + e.getMessage());
                return;
            }
            throw e;
        }
        Optional<LoadedVersion.Info> current = holder.peek();
        if (current.isPresent() && current.get().versionId() == r.versionId() && current.get().digest().equals(r.digest())) {
            etag = newEtag;
            pinLoaded = true;
            if (pending != null || state.status() != Status.SERVING) {
                pending = null;
                failures = 0;
                setState(Status.SERVING, null, null);
                report(Status.SERVING, null);
            }
            return;
        }
        if (pending != null && !retryDue && pending.versionId() == r.versionId() && pending.digest().equals(r.digest())) {
            etag = newEtag;
            return; // the same refused version: wait for its retry time
        }
        etag = newEtag;
        load(r);
    }

    private void load(Resolution r) {
        pinLoaded = false;
        setState(Status.LOADING, "loading " + r.describe(), state.lastRefusal());
        report(Status.LOADING, "loading " + r.describe());
        long start = System.nanoTime();
        try {
            VersionFetcher.Fetched f = fetcher.fetch(r);
            List<EditedFact> facts = lineage.of(r.versionId());
            BaseModels.Handle base = bases.acquire(f.baseKey(), f.baseDir());
            LoadedVersion v = LoadedVersion.load(new LoadedVersion.Info(r.modelName(), r.modelId(), r.channel(),
                    r.versionId(), r.number(), r.digest(), null, 0, Map.of(), Instant.now()), base, f.bundleDir(), facts);
            holder.swap(v);
            pending = null;
            failures = 0;
            pinLoaded = true;
            setState(Status.SERVING, null, null);
            report(Status.SERVING, null);
            LOG.infof("serving %s (%d layers hooked, %d edited facts), loaded in %d ms", r.describe(), v.layers().size(),
                    facts.size(), (System.nanoTime() - start) / 1_000_000);
        } catch (BlobIntegrityException e) {
            fail(r, "verification failed for " + e.key() + ": refused " + r.describe());
        } catch (IllegalArgumentException e) {
            fail(r, "refused " + r.describe() + ": " + e.getMessage());
        } catch (IOException | UncheckedIOException | RegistryException e) {
            fail(r, "could not load " + r.describe() + ": " + e.getMessage());
        }
    }

    private void fail(Resolution r, String what) {
        Optional<LoadedVersion.Info> current = holder.peek();
        String message = what + current.map(i -> "; still serving version " + i.number() + " (" + i.digest() + ")")
                .orElse("; nothing loaded yet");
        long backoff = config.retryInterval().toNanos() << Math.min(failures, 3);
        failures++;
        nextRetryNanos = System.nanoTime() + backoff;
        Refusal refusal = r == null ? null : new Refusal(r.versionId(), r.number(), r.digest(), message, Instant.now());
        if (r != null) {
            pending = refusal;
        }
        if (message.equals(state.message())) {
            LOG.debug(message); // the same failure again (each poll or retry): said once already
        } else {
            LOG.warn(message);
        }
        setState(Status.FAILED, message, refusal != null ? refusal : state.lastRefusal());
        report(Status.FAILED, message);
    }

    private void loadLocal() {
        try {
            Path modelDir = config.localModel();
            String key = Sha256.ref(modelDir.toAbsolutePath().normalize().toString().getBytes(StandardCharsets.UTF_8)).hex();
            BaseModels.Handle base = bases.acquire(key, modelDir);
            String digest = "sha256:" + Sha256.hex(modelDir.resolve("model.safetensors"));
            long number = config.localBundle() == null ? 0 : 1;
            if (config.localBundle() != null) {
                digest = "sha256:" + Sha256.hex(config.localBundle().resolve("manifest.json"));
            }
            LoadedVersion v = LoadedVersion.load(new LoadedVersion.Info(modelDir.getFileName().toString(), 0, null, number,
                    (int) number, digest, null, 0, Map.of(), Instant.now()), base, config.localBundle(), List.of());
            holder.swap(v);
            pinLoaded = true;
            setState(Status.SERVING, null, null);
            LOG.infof("serving %s", config.pinText());
        } catch (IOException | RuntimeException e) {
            pinLoaded = true; // local directories do not change: do not retry in a loop
            setState(Status.FAILED, "cannot load " + config.pinText() + ": " + e.getMessage(), null);
            LOG.error("cannot load " + config.pinText(), e);
        }
    }

    private void setState(Status status, String message, Refusal refusal) {
        state = new State(status, message, refusal, nodeId);
    }

    /** Heartbeat with the running version's id and digest (what runs, whatever the status). */
    private void report(Status status, String message) {
        if (client == null || nodeId == null) {
            return;
        }
        Optional<LoadedVersion.Info> current = holder.peek();
        Long versionId = current.map(LoadedVersion.Info::versionId).filter(id -> id > 0).orElse(null);
        String digest = current.map(LoadedVersion.Info::digest).orElse(null);
        String m = message == null || message.length() <= MAX_MESSAGE ? message : message.substring(0, MAX_MESSAGE);
        try {
            client.nodeHeartbeat(nodeId, versionId, digest, status.name(), m);
            lastReportNanos = System.nanoTime();
        } catch (RegistryException e) {
            if (e.status() == 404) {
                nodeId = null; // the registry forgot us (new database): register again next tick
            }
            LOG.warnf("heartbeat failed: %s", e.getMessage());
        }
    }

    /** Stops the loop, reports STOPPED (best effort) and closes every version and base model. */
    @Override
    public void close() {
        loop.shutdownNow();
        try {
            loop.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        setState(Status.STOPPED, null, state.lastRefusal());
        if (client != null && nodeId != null) {
            try {
                report(Status.STOPPED, null);
            } catch (RuntimeException e) {
                LOG.debugf("final report failed: %s", e);
            }
        }
        holder.close();
        bases.close();
    }
}
