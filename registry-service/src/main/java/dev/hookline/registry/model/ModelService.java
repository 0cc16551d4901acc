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

    /** Request to register a base model. */
    public record RegisterModelRequest(String name, String architecture, JsonNode config,
                                       List<ManifestEntry> checkpoint) {
    }

    /** Request to attach covariance statistics (one or more entries per editing layer). */
    public record StatsRequest(List<ManifestEntry> stats) {
    }

    /** A base model as the API shows it. */
    public record ModelView(long id, String name, String architecture, JsonNode config,
                            List<ManifestEntry> checkpoint, List<ManifestEntry> stats, BaseModel.Status status,
                            Instant createdAt, String createdBy) {
        public static ModelView of(BaseModel m) {
            return new ModelView(m.id, m.name, m.architecture, Json.tree(m.configJson),
                    Json.read(m.checkpointJson, ENTRIES),
                    m.statsJson == null ? List.of() : Json.read(m.statsJson, ENTRIES), m.status, m.createdAt, m.createdBy);
        }
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
        m.status = BaseModel.Status.REGISTERED;
        m.createdAt = Instant.now();
        m.createdBy = actor;
        m.persist();
        audit.append(actor, "model.registered", "model", m.id,
                Map.of("name", m.name, "architecture", m.architecture, "checkpoint", req.checkpoint()));
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
