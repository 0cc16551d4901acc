package dev.hookline.registry.model;

import dev.hookline.registry.api.ApiProblem;
import dev.hookline.registry.api.Check;
import dev.hookline.registry.api.RequestValidator;
import dev.hookline.registry.audit.AuditLog;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;

import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** Progress of model builds (pretraining before registration), reported by the building worker. */
@ApplicationScoped
public class ModelBuildService {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");

    @Inject
    AuditLog audit;

    /** A build report: status, phase text, percent, optional message and the registered model. */
    public record BuildReport(String preset, String status, String phase, Integer percent, String message,
                              Long modelId) {
    }

    /** A build as the API shows it. */
    public record BuildView(String name, String preset, ModelBuild.Status status, String phase, int percent,
                            String message, Long modelId, Instant startedAt, Instant updatedAt, String updatedBy) {
        static BuildView of(ModelBuild b) {
            return new BuildView(b.name, b.preset, b.status, b.phase, b.percent, b.message, b.modelId, b.startedAt,
                    b.updatedAt, b.updatedBy);
        }
    }

    /** Creates or updates the build of {@code name}; status changes are audited, percent updates are not. */
    @Transactional
    public BuildView report(String name, BuildReport req, String actor) {
        Check.body(req);
        Check c = new Check();
        c.that(name != null && NAME.matcher(name).matches(), "name", "must match " + NAME.pattern());
        ModelBuild.Status status = null;
        if (c.present(req.status(), "status")) {
            try {
                status = ModelBuild.Status.valueOf(req.status());
            } catch (IllegalArgumentException e) {
                c.that(false, "status", "must be one of " + Arrays.toString(ModelBuild.Status.values()));
            }
        }
        c.that(req.percent() == null || (req.percent() >= 0 && req.percent() <= 100), "percent", "must be in [0, 100]");
        RequestValidator.line(c, req.preset(), "preset", RequestValidator.MAX_LABEL);
        RequestValidator.line(c, req.phase(), "phase", 200);
        RequestValidator.text(c, req.message(), "message", RequestValidator.MAX_COMMENT);
        c.done();
        if (req.modelId() != null && BaseModel.findById(req.modelId()) == null) {
            throw ApiProblem.unprocessable("model " + req.modelId() + " does not exist", "modelId");
        }
        Instant now = Instant.now();
        ModelBuild b = ModelBuild.findById(name, LockModeType.PESSIMISTIC_WRITE);
        boolean created = b == null;
        if (created) {
            b = new ModelBuild();
            b.name = name;
            b.startedAt = now;
        }
        ModelBuild.Status before = b.status;
        if (req.preset() != null) {
            b.preset = req.preset();
        }
        b.status = status;
        b.phase = req.phase();
        b.percent = req.percent() == null ? 0 : req.percent();
        b.message = req.message();
        if (req.modelId() != null) {
            b.modelId = req.modelId();
        }
        b.updatedAt = now;
        b.updatedBy = actor;
        if (created) {
            b.persist();
        }
        if (before != status) {
            Map<String, Object> payload = new LinkedHashMap<>();
            payload.put("status", status.name());
            payload.put("preset", b.preset == null ? "" : b.preset);
            if (b.modelId != null) {
                payload.put("modelId", b.modelId);
            }
            if (b.message != null) {
                payload.put("message", b.message);
            }
            audit.append(actor, "model.build", "model_build", name, payload);
        }
        return BuildView.of(b);
    }

    @Transactional
    public List<BuildView> list() {
        return ModelBuild.<ModelBuild>find("order by startedAt desc").list().stream().map(BuildView::of).toList();
    }
}
