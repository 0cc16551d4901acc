/*
 * What the HTTP resources do, without HTTP: validate a request, take one lease on the current
 * version, answer wholly from it, name it in the answer. Plain Java so that tests drive exactly
 * the code the resources call.
 */
package dev.hookline.serving.api;

import dev.hookline.engine.bundle.HookedModel;
import dev.hookline.engine.infer.Generation;
import dev.hookline.serving.model.LoadedVersion;
import dev.hookline.serving.model.VersionHolder;
import dev.hookline.serving.node.ServingNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The serving API over one node. Thread-safe. */
public final class ServingApi {
    /** At most this many prompts per request. */
    public static final int MAX_PROMPTS = 32;
    /** Default number of generated tokens. */
    public static final int DEFAULT_MAX_TOKENS = 16;
    /** At most this many characters per prompt. */
    public static final int MAX_PROMPT_CHARS = 4000;

    private final ServingNode node;

    public ServingApi(ServingNode node) {
        this.node = node;
    }

    /** Greedy completions, all from one version. */
    public ApiDtos.CompletionResponse complete(ApiDtos.CompletionRequest req) {
        if (req == null) {
            throw ApiProblem.noBody();
        }
        List<String> prompts;
        if (req.prompt() != null && req.prompts() != null) {
            throw ApiProblem.invalid("prompts", "give either prompt or prompts, not both");
        } else if (req.prompt() != null) {
            prompts = List.of(req.prompt());
        } else if (req.prompts() != null) {
            prompts = req.prompts();
            if (prompts.isEmpty()) {
                throw ApiProblem.invalid("prompts", "must not be empty");
            }
            if (prompts.size() > MAX_PROMPTS) {
                throw ApiProblem.invalid("prompts", "at most " + MAX_PROMPTS + " prompts per request, got " + prompts.size());
            }
        } else {
            throw ApiProblem.invalid("prompt", "a prompt (or prompts) is required");
        }
        if (req.greedy() != null && !req.greedy()) {
            throw ApiProblem.invalid("greedy", "only greedy decoding is supported");
        }
        int maxTokens = req.maxTokens() == null ? DEFAULT_MAX_TOKENS : req.maxTokens();
        long start = System.nanoTime();
        try (VersionHolder.Lease lease = lease()) {
            LoadedVersion v = lease.version();
            int limit = v.baseModel().model().config().maxPositions();
            if (maxTokens < 0 || maxTokens > limit) {
                throw ApiProblem.invalid("max_tokens", "must be 0.." + limit + ", got " + maxTokens);
            }
            for (int i = 0; i < prompts.size(); i++) {
                checkPrompt(v, prompts.get(i), req.prompt() != null ? "prompt" : "prompts[" + i + "]");
            }
            List<Generation> out = v.generate(prompts, maxTokens);
            int eos = v.baseModel().model().config().eosTokenId();
            List<ApiDtos.Choice> choices = new ArrayList<>();
            for (int i = 0; i < out.size(); i++) {
                Generation g = out.get(i);
                int[] ids = g.generatedIds();
                boolean stopped = ids.length > 0 && ids[ids.length - 1] == eos;
                String text = g.completion();
                if (stopped) {
                    text = v.baseModel().tokenizer().decode(Arrays.copyOf(ids, ids.length - 1));
                }
                choices.add(new ApiDtos.Choice(i, g.prompt(), text, ids.length, stopped ? "stop" : "length"));
            }
            return new ApiDtos.CompletionResponse(ref(v), choices, (System.nanoTime() - start) / 1e6);
        }
    }

    /** Scope-test trace of every hooked layer and token, and the lineage facts whose subject is in the prompt. */
    public ApiDtos.ExplainResponse explain(ApiDtos.ExplainRequest req) {
        if (req == null) {
            throw ApiProblem.noBody();
        }
        if (req.prompt() == null) {
            throw ApiProblem.invalid("prompt", "a prompt is required");
        }
        try (VersionHolder.Lease lease = lease()) {
            LoadedVersion v = lease.version();
            int[] ids = checkPrompt(v, req.prompt(), "prompt");
            List<String> tokens = new ArrayList<>();
            for (int id : ids) {
                tokens.add(v.baseModel().tokenizer().decode(new int[] {id}));
            }
            Map<Integer, List<ApiDtos.TokenScore>> byLayer = new LinkedHashMap<>();
            Map<Integer, Double> alphaByLayer = new LinkedHashMap<>();
            for (HookedModel.TokenTrace t : v.explain(req.prompt())) {
                byLayer.computeIfAbsent(t.layer(), l -> new ArrayList<>()).add(new ApiDtos.TokenScore(t.position(),
                        t.token(), t.m(), Double.isNaN(t.z()) ? null : t.z(), t.swapped()));
                alphaByLayer.put(t.layer(), t.alpha());
            }
            List<ApiDtos.LayerExplain> layers = new ArrayList<>();
            for (int l : v.layers()) {
                List<ApiDtos.TokenScore> ts = byLayer.getOrDefault(l, List.of());
                int swapped = (int) ts.stream().filter(ApiDtos.TokenScore::swapped).count();
                layers.add(new ApiDtos.LayerExplain(l, alphaByLayer.getOrDefault(l, v.info().alpha().get(l)), swapped, ts));
            }
            return new ApiDtos.ExplainResponse(ref(v), req.prompt(), tokens, layers, v.factsIn(req.prompt()));
        }
    }

    /** What is loaded now and the node's state. */
    public ApiDtos.VersionResponse version() {
        try (VersionHolder.Lease lease = lease()) {
            LoadedVersion v = lease.version();
            LoadedVersion.Info i = v.info();
            ServingNode.State s = node.state();
            ServingNode.Refusal r = s.lastRefusal();
            return new ApiDtos.VersionResponse(i.modelName(), i.modelId(), i.versionId(), i.number(), i.digest(),
                    i.bundleDigest() == null ? null : "sha256:" + i.bundleDigest(), i.channel(), node.config().pinText(),
                    i.loadedAt(), v.layers(), i.alpha(), i.edits(), v.facts().size(), s.status().name(), s.message(),
                    s.nodeId(), r == null ? null : new ApiDtos.RefusalView(r.versionId(), r.number(), r.digest(),
                            r.message(), r.at()));
        }
    }

    private VersionHolder.Lease lease() {
        return node.versions().acquire().orElseThrow(() -> ApiProblem.notReady(node.state().message()));
    }

    private static int[] checkPrompt(LoadedVersion v, String prompt, String field) {
        if (prompt == null || prompt.isBlank()) {
            throw ApiProblem.invalid(field, "must not be blank");
        }
        if (prompt.length() > MAX_PROMPT_CHARS) {
            throw ApiProblem.invalid(field, "at most " + MAX_PROMPT_CHARS + " characters");
        }
        int[] ids = v.baseModel().tokenizer().encode(prompt);
        int limit = v.baseModel().model().config().maxPositions();
        if (ids.length == 0) {
            throw ApiProblem.invalid(field, "encodes to no tokens");
        }
        if (ids.length >= limit) {
            throw ApiProblem.invalid(field, "encodes to " + ids.length + " tokens; the model's context holds " + limit
                    + ", so at most " + (limit - 1) + " fit");
        }
        return ids;
    }

    private static ApiDtos.VersionRef ref(LoadedVersion v) {
        LoadedVersion.Info i = v.info();
        return new ApiDtos.VersionRef(i.modelName(), i.versionId(), i.number(), i.digest(), i.channel());
    }
}
