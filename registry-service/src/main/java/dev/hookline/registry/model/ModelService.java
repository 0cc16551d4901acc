package dev.hookline.registry.model;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.hookline.registry.api.ApiProblem;
import dev.hookline.registry.api.Check;
import dev.hookline.registry.api.RequestValidator;
import dev.hookline.registry.blob.BlobLocks;
import dev.hookline.registry.api.Json;
import dev.hookline.registry.audit.AuditLog;
import dev.hookline.registry.blob.BlobStore;
import dev.hookline.registry.blob.ManifestEntry;
import dev.hookline.registry.batch.EditMethod;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Registers base models and attaches their covariance statistics. */
@ApplicationScoped
public class ModelService {

    /** The checkpoint files every base model has (HF GPT-2 layout). */
    public static final List<String> CHECKPOINT_ROLES = List.of("config.json", "model.safetensors", "tokenizer.json");
    /**
     * Architectures the engine runs, by Hugging Face model_type (edit-engine's
     * dev.hookline.engine.model.Architecture; the V7 migration checks the same list).
     */
    public static final List<String> ARCHITECTURES = List.of("gpt2", "gptj", "llama", "mistral", "qwen2");
    private static final TypeReference<List<ManifestEntry>> ENTRIES = new TypeReference<>() {
    };

    @Inject
    BlobStore blobs;

    @Inject
    AuditLog audit;

    /** Request to register a base model; {@code editDefaults} (optional): method -> default hyperparameters. */
    public record RegisterModelRequest(String name, String architecture, JsonNode config,
                                       List<ManifestEntry> checkpoint, JsonNode editDefaults) {
    }

    /** Request to attach covariance statistics (one or more entries per editing layer). */
    public record StatsRequest(List<ManifestEntry> stats) {
    }

    /**
     * Request to set a model's edit defaults for one method: {@code hyperparameters} replaces that method's
     * defaults ({@code {}} removes them).
     */
    public record EditDefaultsRequest(String method, JsonNode hyperparameters) {
    }

    /**
     * The hyperparameters a model's edit defaults may hold: those that follow the model (editing layers, the
     * update's and the scope's lambdas, a key scope's threshold, the value step's knobs). Not statsLines (the
     * registered statistics fix it), nor the keys a branch inherits from its parent by other rules
     * (scopeKeys, scopeRoutes, AlphaEdit's nullspaceThreshold, l2 and shardEdits) or method-specific ones.
     */
    public static final List<String> DEFAULT_KEYS = List.of("layers", "lambda", "alpha0", "scopeLambda", "valueSteps",
            "learningRate", "clamp", "klFactor", "weightDecay", "contextVariants", "stopLoss");

    /** The key-scope methods, whose {@code alpha0} is a threshold in [0, 1). */
    private static final Set<EditMethod> THRESHOLD_METHODS = Set.of(EditMethod.COACHHOOK_SPAN,
            EditMethod.COACHHOOK_SPAN_RELATION, EditMethod.COACHHOOK_NEAREST, EditMethod.ALPHAEDIT_NEAREST,
            EditMethod.ALPHAEDIT_SHARDS, EditMethod.CODEBOOK_NEAREST, EditMethod.CODEBOOK_SUBJECT);

    /** The codebook methods: exactly one editing layer, no lambda. */
    private static final Set<EditMethod> CODEBOOK_METHODS = Set.of(EditMethod.CODEBOOK_NEAREST,
            EditMethod.CODEBOOK_SUBJECT);

    /** A base model as the API shows it; {@code editDefaults}: method -> hyperparameters ({@code {}}: none). */
    public record ModelView(long id, String name, String architecture, JsonNode config,
                            List<ManifestEntry> checkpoint, List<ManifestEntry> stats, BaseModel.Status status,
                            Instant createdAt, String createdBy, JsonNode editDefaults) {
        public static ModelView of(BaseModel m) {
            return new ModelView(m.id, m.name, m.architecture, Json.tree(m.configJson),
                    Json.read(m.checkpointJson, ENTRIES),
                    m.statsJson == null ? List.of() : Json.read(m.statsJson, ENTRIES), m.status, m.createdAt, m.createdBy,
                    Json.tree(m.editDefaultsJson == null ? "{}" : m.editDefaultsJson));
        }
    }

    /** The model's edit defaults for {@code method} (canonical JSON object, {@code {}} for none). */
    public static String defaultsFor(BaseModel m, EditMethod method) {
        JsonNode d = Json.tree(m.editDefaultsJson == null ? "{}" : m.editDefaultsJson).path(method.wireName());
        return d.isObject() ? Json.canonical(d) : "{}";
    }

    /**
     * Sets (replaces) the model's edit defaults for one method. Refused (422) for an unknown method, a key
     * outside {@link #DEFAULT_KEYS}, a value of the wrong type or range, or one a registered worker's schema
     * refuses; batches already submitted keep the defaults they were submitted under.
     */
    @Transactional
    public ModelView setEditDefaults(long id, EditDefaultsRequest req, String actor) {
        Check.body(req);
        BaseModel m = BaseModel.findById(id, jakarta.persistence.LockModeType.PESSIMISTIC_WRITE);
        if (m == null) {
            throw ApiProblem.notFound("model", id);
        }
        Check c = new Check();
        EditMethod method = null;
        if (c.notBlank(req.method(), "method")) {
            method = methodNamed(req.method().trim());
            c.that(method != null, "method", "must be one of " + java.util.Arrays.stream(EditMethod.values())
                    .map(EditMethod::wireName).toList());
        }
        if (c.that(req.hyperparameters() != null && req.hyperparameters().isObject(), "hyperparameters",
                "must be a JSON object of hyperparameter -> value ({} removes the method's defaults)")) {
            checkDefaults(c, method, req.hyperparameters(), layerCount(Json.tree(m.configJson)), "hyperparameters");
        }
        c.done();
        dev.hookline.registry.governance.WorkerRegistry.checkSubmission(m.id, method, req.hyperparameters());
        com.fasterxml.jackson.databind.node.ObjectNode all = (com.fasterxml.jackson.databind.node.ObjectNode)
                Json.tree(m.editDefaultsJson == null ? "{}" : m.editDefaultsJson);
        JsonNode before = all.path(method.wireName());
        if (req.hyperparameters().isEmpty()) {
            all.remove(method.wireName());
        } else {
            all.set(method.wireName(), req.hyperparameters());
        }
        m.editDefaultsJson = Json.canonical(all);
        Map<String, Object> details = new java.util.LinkedHashMap<>();
        details.put("method", method.wireName());
        details.put("before", before.isMissingNode() ? Map.of() : before);
        details.put("after", req.hyperparameters());
        audit.append(actor, "model.edit-defaults", "model", m.id, details);
        return ModelView.of(m);
    }

    private static EditMethod methodNamed(String wireName) {
        return java.util.Arrays.stream(EditMethod.values()).filter(x -> x.wireName().equals(wireName)).findFirst()
                .orElse(null);
    }

    /**
     * Checks a registration's {@code editDefaults} ({@code {"<method>": {hyperparameters}}}, null for none)
     * into {@code c}, each method's hyperparameters as {@link #setEditDefaults} checks them.
     */
    private static void checkRegistrationDefaults(Check c, JsonNode editDefaults, JsonNode config) {
        if (editDefaults == null || editDefaults.isNull()) {
            return;
        }
        if (!c.that(editDefaults.isObject(), "editDefaults", "must be a JSON object of method -> {hyperparameters}")) {
            return;
        }
        int layerCount = layerCount(config);
        for (java.util.Iterator<Map.Entry<String, JsonNode>> it = editDefaults.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String f = "editDefaults." + e.getKey();
            EditMethod method = methodNamed(e.getKey());
            if (c.that(method != null, f, "not a method; one of " + java.util.Arrays.stream(EditMethod.values())
                    .map(EditMethod::wireName).toList())
                    && c.that(e.getValue().isObject(), f, "must be a JSON object of hyperparameter -> value")) {
                checkDefaults(c, method, e.getValue(), layerCount, f);
            }
        }
    }

    /** One method's default hyperparameters ({@code field}: their field name in the request). */
    private static void checkDefaults(Check c, EditMethod method, JsonNode hyperparameters, int layerCount, String field) {
        for (java.util.Iterator<Map.Entry<String, JsonNode>> it = hyperparameters.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String f = field + "." + e.getKey();
            JsonNode v = e.getValue();
            if (!c.that(DEFAULT_KEYS.contains(e.getKey()), f, "not a hyperparameter a model default may set (one of "
                    + DEFAULT_KEYS + ")")) {
                continue;
            }
            boolean thresholdMethod = method != null && THRESHOLD_METHODS.contains(method);
            switch (e.getKey()) {
                case "layers" -> {
                    boolean ok = v.isArray() && !v.isEmpty();
                    Set<Integer> seen = new HashSet<>();
                    for (JsonNode x : v) {
                        ok &= x.isIntegralNumber() && x.canConvertToInt() && x.asInt() >= 0
                                && (layerCount < 0 || x.asInt() < layerCount) && seen.add(x.asInt());
                    }
                    boolean codebook = method != null && CODEBOOK_METHODS.contains(method);
                    if (ok && codebook) {
                        ok = v.size() == 1;
                    }
                    c.that(ok, f, "must be a non-empty array of distinct block indices"
                            + (layerCount < 0 ? "" : " in 0.." + (layerCount - 1))
                            + (codebook ? " (" + method.wireName() + " edits exactly one)" : ""));
                }
                case "valueSteps", "contextVariants" -> c.that(v.isIntegralNumber() && v.canConvertToInt()
                        && v.asInt() >= 1, f, "must be an integer >= 1");
                case "alpha0" -> c.that(v.isNumber() && (thresholdMethod ? v.asDouble() >= 0 && v.asDouble() < 1
                        : Double.isFinite(v.asDouble())), f, thresholdMethod
                        ? "must be a number in [0, 1) (the key scope's threshold)" : "must be a finite number");
                case "lambda" -> c.that(method == null || !CODEBOOK_METHODS.contains(method)
                        && method != EditMethod.ALPHAEDIT_NEAREST && method != EditMethod.ALPHAEDIT_SHARDS, f,
                        "does not apply to " + (method == null ? "this method" : method.wireName())
                                + " (it solves no lambda-regularised update)");
                case "scopeLambda" -> c.that(method == null || thresholdMethod, f, "applies to the key-scope methods "
                        + THRESHOLD_METHODS.stream().map(EditMethod::wireName).sorted().toList() + " only");
                default -> c.that(v.isNumber() && Double.isFinite(v.asDouble()) && v.asDouble() >= 0, f,
                        "must be a finite number >= 0");
            }
            if (e.getKey().equals("lambda") || e.getKey().equals("scopeLambda")) {
                c.that(v.isNumber() && v.asDouble() > 0 && Double.isFinite(v.asDouble()), f, "must be a finite number > 0");
            }
        }
    }

    /** Transformer blocks from a config.json (n_layer or num_hidden_layers), -1 when it names neither. */
    private static int layerCount(JsonNode cfg) {
        JsonNode n = cfg.has("n_layer") ? cfg.get("n_layer") : cfg.path("num_hidden_layers");
        return n.isIntegralNumber() ? n.asInt() : -1;
    }

    @Transactional
    public ModelView register(RegisterModelRequest req, String actor) {
        Check.body(req);
        Check c = new Check();
        c.notBlank(req.name(), "name");
        RequestValidator.line(c, req.name(), "name", RequestValidator.MAX_NAME);
        if (c.notBlank(req.architecture(), "architecture")) {
            c.that(ARCHITECTURES.contains(req.architecture().trim()), "architecture",
                    "must be one of " + ARCHITECTURES + " (the checkpoint's config.json model_type)");
        }
        RequestValidator.line(c, req.architecture(), "architecture", RequestValidator.MAX_LABEL);
        entries(c, req.checkpoint(), "checkpoint");
        c.that(req.config() != null && req.config().isObject(), "config", "must be a JSON object (config.json)");
        if (c.that(req.checkpoint() != null && !req.checkpoint().isEmpty(), "checkpoint",
                "must list the blobs " + CHECKPOINT_ROLES)) {
            Set<String> roles = new HashSet<>();
            req.checkpoint().forEach(e -> roles.add(e == null ? null : e.role()));
            for (String r : CHECKPOINT_ROLES) {
                c.that(roles.contains(r), "checkpoint", "missing the entry with role " + r);
            }
        }
        checkRegistrationDefaults(c, req.editDefaults(), req.config());
        c.done();
        if (BaseModel.count("name", req.name().trim()) > 0) {
            throw ApiProblem.conflict("a model named '" + req.name().trim() + "' exists", "name");
        }
        // Same lock as a blob DELETE: the blobs cannot vanish between this check and the commit.
        BlobLocks.lock(BaseModel.getEntityManager(), req.checkpoint().stream().map(e -> e == null ? null : e.key())
                .toList());
        blobs.requireAll(req.checkpoint(), "checkpoint");
        BaseModel m = new BaseModel();
        m.name = req.name().trim();
        m.architecture = req.architecture().trim();
        m.configJson = Json.canonical(req.config());
        m.checkpointJson = Json.canonical(req.checkpoint());
        com.fasterxml.jackson.databind.node.ObjectNode defaults = com.fasterxml.jackson.databind.node.JsonNodeFactory
                .instance.objectNode();
        if (req.editDefaults() != null && req.editDefaults().isObject()) {
            req.editDefaults().fields().forEachRemaining(e -> {
                if (!e.getValue().isEmpty()) {
                    defaults.set(e.getKey(), e.getValue());
                }
            });
        }
        m.editDefaultsJson = Json.canonical(defaults);
        m.status = BaseModel.Status.REGISTERED;
        m.createdAt = Instant.now();
        m.createdBy = actor;
        m.persist();
        audit.append(actor, "model.registered", "model", m.id, Map.of("name", m.name, "architecture", m.architecture,
                "checkpoint", req.checkpoint(), "editDefaults", defaults));
        return ModelView.of(m);
    }

    @Transactional
    public ModelView attachStats(long id, StatsRequest req, String actor) {
        Check.body(req);
        BaseModel m = require(id);
        Check c = new Check();
        c.that(req.stats() != null && !req.stats().isEmpty(), "stats", "must list at least one blob");
        entries(c, req.stats(), "stats");
        c.done();
        BlobLocks.lock(BaseModel.getEntityManager(), req.stats().stream().map(e -> e == null ? null : e.key()).toList());
        blobs.requireAll(req.stats(), "stats");
        m.statsJson = Json.canonical(req.stats());
        m.status = BaseModel.Status.STATS_READY;
        audit.append(actor, "model.stats", "model", m.id, Map.of("stats", req.stats()));
        return ModelView.of(m);
    }

    @Transactional
    public List<ModelView> list() {
        return BaseModel.<BaseModel>listAll().stream().map(ModelView::of).toList();
    }

    @Transactional
    public ModelView get(long id) {
        return ModelView.of(require(id));
    }

    private static void entries(Check c, List<ManifestEntry> entries, String field) {
        if (entries == null) {
            return;
        }
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i) != null) {
                RequestValidator.line(c, entries.get(i).role(), field + "[" + i + "].role", 200);
            }
        }
    }

    /** The model or a 404. */
    public static BaseModel require(long id) {
        BaseModel m = BaseModel.findById(id);
        if (m == null) {
            throw ApiProblem.notFound("model", id);
        }
        return m;
    }
}
