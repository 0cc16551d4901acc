/*
 * One loaded, verified version: a shared base model with the validated hooks of one bundle (or
 * none, version 0) and the edited facts of its lineage. Immutable; reference-counted so that a
 * swap never closes a version under a request that still uses it. Reference: CoachHooK
 * validated hook layers at inference (edit-engine HookedModel / HookBundle).
 */
package dev.hookline.serving.model;

import ai.djl.ndarray.NDManager;
import dev.hookline.engine.bundle.HookBundle;
import dev.hookline.engine.bundle.HookedModel;
import dev.hookline.engine.hook.HookLayer;
import dev.hookline.engine.infer.Generation;
import dev.hookline.engine.infer.LanguageModel;
import dev.hookline.engine.model.ForwardOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * A version ready to answer. Every request holds one reference ({@link #tryAcquire()} /
 * {@link #release()}) for its whole duration, so all its forwards see the same layers; the
 * holder's own reference is dropped at swap, and the last release closes the hooks' arrays and
 * gives back the base model.
 */
public final class LoadedVersion {
    private static final Logger LOG = Logger.getLogger(LoadedVersion.class);

    /**
     * What is loaded, as /v1/version and the heartbeats report it.
     *
     * @param modelName registry model name (or the directory name in local mode)
     * @param modelId registry model id (0 in local mode)
     * @param channel the channel this version was resolved from, null for an exact pin
     * @param versionId registry version id, 0 for the base model
     * @param number version number, 0 for the base model
     * @param digest the registry digest {@code sha256:<hex>} (bundleDigest; base weights for version 0)
     * @param bundleDigest sha256 of the bundle's manifest.json (the engine's version digest), null for version 0
     * @param edits edits in the version's history (0 for the base model)
     * @param alpha alpha per hooked layer
     * @param loadedAt when the node finished loading it
     */
    public record Info(String modelName, long modelId, String channel, long versionId, int number, String digest,
            String bundleDigest, int edits, Map<Integer, Double> alpha, Instant loadedAt) {
        public Info {
            alpha = Collections.unmodifiableMap(new LinkedHashMap<>(alpha));
        }
    }

    private final Info info;
    private final BaseModels.Handle base;
    private final NDManager hookManager; // owns every hook delta (d_ff, d); null for version 0
    private final Map<Integer, HookLayer> hooks;
    private final ForwardOptions options;
    private final List<EditedFact> facts;
    private final AtomicInteger refs = new AtomicInteger(1);

    private LoadedVersion(Info info, BaseModels.Handle base, NDManager hookManager, Map<Integer, HookLayer> hooks,
            List<EditedFact> facts) {
        this.info = info;
        this.base = base;
        this.hookManager = hookManager;
        this.hooks = Collections.unmodifiableMap(hooks);
        // Inference runs the fast path of the same hooks; explain records through the reference HookLayer.
        Map<Integer, ServingHook> fast = new LinkedHashMap<>();
        hooks.forEach((l, h) -> fast.put(l, new ServingHook(h)));
        this.options = hooks.isEmpty() ? ForwardOptions.defaults() : ForwardOptions.builder().hooks(fast).build();
        this.facts = List.copyOf(facts);
    }

    /**
     * Loads the serving part of the bundle in {@code bundleDir} (sha256-verified against its
     * manifest by {@link HookBundle#read(Path, boolean)}) onto {@code base}, or no hooks when
     * {@code bundleDir} is null. Takes over {@code base}'s use: released on failure and on close.
     *
     * @throws IllegalArgumentException when the bundle fails verification or was made for another base model
     */
    public static LoadedVersion load(Info identity, BaseModels.Handle base, Path bundleDir, List<EditedFact> facts)
            throws IOException {
        NDManager manager = null;
        try {
            if (bundleDir == null) {
                return new LoadedVersion(withBundle(identity, null, 0, Map.of()), base, null, Map.of(), facts);
            }
            HookBundle bundle = HookBundle.read(bundleDir, false);
            if (!bundle.baseModelDigest().equals(base.parameterDigest())) {
                throw new IllegalArgumentException("bundle of version " + identity.number() + " was made for base model "
                        + bundle.baseModelDigest() + " but the loaded base is " + base.parameterDigest());
            }
            manager = base.model().model().manager().newSubManager();
            Map<Integer, HookLayer> hooks = HookedModel.install(base.model().model(), base.model().tokenizer(), bundle, manager);
            Info info = withBundle(identity, HookBundle.digest(bundleDir), bundle.edits(), bundle.alpha());
            return new LoadedVersion(info, base, manager, hooks, facts);
        } catch (IOException | RuntimeException e) {
            if (manager != null) {
                manager.close();
            }
            base.release();
            throw e;
        }
    }

    private static Info withBundle(Info i, String bundleDigest, int edits, Map<Integer, Double> alpha) {
        return new Info(i.modelName(), i.modelId(), i.channel(), i.versionId(), i.number(), i.digest(), bundleDigest,
                edits, alpha, Instant.now());
    }

    public Info info() {
        return info;
    }

    /** Hooked layers, ascending (empty for version 0). */
    public List<Integer> layers() {
        return hooks.keySet().stream().sorted().toList();
    }

    /** Edited facts of the whole lineage, newest version first (one per subject and prompt). */
    public List<EditedFact> facts() {
        return facts;
    }

    /** The lineage's edited facts whose subject occurs in {@code prompt}. */
    public List<EditedFact> factsIn(String prompt) {
        return facts.stream().filter(f -> f.subjectIn(prompt)).toList();
    }

    /** The base model's tokenizer and limits (read-only use). */
    public LanguageModel baseModel() {
        return base.model();
    }

    /** Greedy continuation of every prompt (batched) with this version's hooks. */
    public List<Generation> generate(List<String> prompts, int maxNewTokens) {
        requireOpen();
        return base.model().generate(prompts, maxNewTokens, options);
    }

    /** Per hooked layer and token: m, z, alpha, swapped (empty for version 0). */
    public List<HookedModel.TokenTrace> explain(String prompt) {
        requireOpen();
        return HookedModel.explain(base.model(), hooks, prompt);
    }

    /** Takes a reference for one request; false once the version has closed (re-read the holder). */
    public boolean tryAcquire() {
        for (int r = refs.get(); r > 0; r = refs.get()) {
            if (refs.compareAndSet(r, r + 1)) {
                return true;
            }
        }
        return false;
    }

    /** Gives a reference back; the last one closes the version. */
    public void release() {
        int left = refs.decrementAndGet();
        if (left == 0) {
            close();
        } else if (left < 0) {
            throw new IllegalStateException("version " + info.number() + " released more often than acquired");
        }
    }

    /** References held now (the holder's and the requests'); 0 once closed. */
    public int references() {
        return Math.max(0, refs.get());
    }

    /** True when every hook array of this version has been freed (vacuously for version 0). */
    boolean hookArraysReleased() {
        return hooks.values().stream().allMatch(h -> h.delta().isReleased());
    }

    public boolean isClosed() {
        return refs.get() <= 0;
    }

    private void requireOpen() {
        if (refs.get() <= 0) {
            throw new IllegalStateException("version " + info.number() + " is closed; requests must hold a reference");
        }
    }

    private void close() {
        LOG.infof("closing version %d (%s)", info.number(), info.digest());
        if (hookManager != null) {
            hookManager.close();
        }
        base.release();
    }
}
