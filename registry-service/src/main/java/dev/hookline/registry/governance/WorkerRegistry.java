/*
 * Worker capabilities (issue 25: check batches at submission). An editor worker advertises, when
 * it starts, the methods it can run and each method's hyperparameter schema; a batch is accepted
 * only for a method some registered worker runs, with hyperparameters that schema knows and types.
 */
package dev.hookline.registry.governance;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hookline.registry.api.ApiProblem;
import dev.hookline.registry.api.Check;
import dev.hookline.registry.api.Json;
import dev.hookline.registry.api.Problem;
import dev.hookline.registry.audit.AuditLog;
import dev.hookline.registry.batch.EditMethod;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/** Registrations of editor workers and the submission check of method + hyperparameters. */
@ApplicationScoped
public class WorkerRegistry {

    /** Types a hyperparameter schema may name. */
    public static final Set<String> TYPES = Set.of("integer", "number", "boolean", "string", "integer-array");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9 ._:;,=()\\[\\]-]{0,199}");

    @Inject
    AuditLog audit;

    @Transactional
    public GovernanceDtos.WorkerView register(GovernanceDtos.WorkerRegistrationRequest req, String actor) {
        Check.body(req);
        Check c = new Check();
        c.that(req.name() != null && NAME.matcher(req.name()).matches(), "name",
                "must be 1-200 characters of letters, digits and . _ - : ; , = ( ) [ ] or space");
        if (c.that(req.methods() != null && req.methods().isObject() && req.methods().size() > 0, "methods",
                "must be a non-empty object of method -> {hyperparameters: {name: {type}}}")) {
            for (Iterator<Map.Entry<String, JsonNode>> it = req.methods().fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> m = it.next();
                String f = "methods." + m.getKey();
                try {
                    EditMethod.of(m.getKey());
                } catch (IllegalArgumentException e) {
                    c.that(false, f, e.getMessage());
                    continue;
                }
                JsonNode hp = m.getValue().path("hyperparameters");
                if (!c.that(m.getValue().isObject() && (hp.isMissingNode() || hp.isObject()), f,
                        "must be an object with an optional hyperparameters object")) {
                    continue;
                }
                for (Iterator<Map.Entry<String, JsonNode>> h = hp.fields(); h.hasNext(); ) {
                    Map.Entry<String, JsonNode> p = h.next();
                    c.that(TYPES.contains(p.getValue().path("type").asText()), f + ".hyperparameters." + p.getKey()
                            + ".type", "must be one of " + new TreeSet<>(TYPES));
                    JsonNode max = p.getValue().path("maxItems");
                    c.that(max.isMissingNode() || (p.getValue().path("type").asText().equals("integer-array")
                            && max.isIntegralNumber() && max.asLong() >= 1), f + ".hyperparameters." + p.getKey()
                            + ".maxItems", "must be an integer >= 1, and only on an integer-array");
                }
            }
        }
        c.done();
        if (req.modelId() != null) {
            if (dev.hookline.registry.model.BaseModel.findById(req.modelId()) == null) {
                throw ApiProblem.unprocessable("model " + req.modelId() + " does not exist", "modelId");
            }
        }
        WorkerRegistration w = WorkerRegistration.findById(req.name());
        if (w == null) {
            w = new WorkerRegistration();
            w.name = req.name();
        }
        w.modelId = req.modelId();
        w.methodsJson = Json.canonical(req.methods());
        w.registeredBy = actor;
        w.registeredAt = Instant.now();
        w.persist();
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("methods", new ArrayList<>(fieldNames(req.methods())));
        audit.append(actor, "worker.registered", "worker", w.name, payload);
        return GovernanceDtos.WorkerView.of(w);
    }

    @Transactional
    public List<GovernanceDtos.WorkerView> list() {
        return WorkerRegistration.<WorkerRegistration>list("order by name").stream()
                .map(GovernanceDtos.WorkerView::of).toList();
    }

    /**
     * Refuses (422 {@code method-unsupported} / {@code hyperparameters}) a method no registered
     * worker advertises and hyperparameters unknown to or mistyped for every advertising worker's
     * schema. Only workers for the batch's model count (restricted to it, or to none). With no such
     * worker registered, nothing is checked (documented departure: a fresh registry accepts batches
     * before its first worker starts).
     */
    public static void checkSubmission(long modelId, EditMethod method, JsonNode hyperparameters) {
        List<WorkerRegistration> all = WorkerRegistration.list("modelId is null or modelId = ?1", modelId);
        if (all.isEmpty()) {
            return;
        }
        Set<String> advertised = new TreeSet<>();
        List<JsonNode> schemas = new ArrayList<>();
        for (WorkerRegistration w : all) {
            JsonNode methods = Json.tree(w.methodsJson);
            advertised.addAll(fieldNames(methods));
            if (methods.has(method.wireName())) {
                schemas.add(methods.path(method.wireName()).path("hyperparameters"));
            }
        }
        if (schemas.isEmpty()) {
            throw new ApiProblem(422, "method-unsupported", "No worker runs this method", "method '"
                    + method.wireName() + "' is not run by any editor worker registered for model " + modelId
                    + "; those workers run "
                    + advertised, List.of(new Problem.FieldError("method", "not run by a registered worker; one of "
                    + advertised)));
        }
        if (hyperparameters == null || !hyperparameters.isObject()) {
            return;
        }
        List<Problem.FieldError> errors = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = hyperparameters.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String why = null;
            boolean known = false;
            for (JsonNode schema : schemas) {
                JsonNode spec = schema.path(e.getKey());
                if (spec.isMissingNode()) {
                    continue;
                }
                known = true;
                why = typeError(spec, e.getValue(), method);
                if (why == null) {
                    break;
                }
            }
            if (!known) {
                Set<String> names = new TreeSet<>();
                schemas.forEach(s -> names.addAll(fieldNames(s)));
                errors.add(new Problem.FieldError("hyperparameters." + e.getKey(), "unknown hyperparameter of method '"
                        + method.wireName() + "'; known: " + names));
            } else if (why != null) {
                errors.add(new Problem.FieldError("hyperparameters." + e.getKey(), why));
            }
        }
        if (!errors.isEmpty()) {
            String detail = errors.size() == 1 ? errors.get(0).field() + ": " + errors.get(0).message()
                    : errors.size() + " hyperparameters are invalid";
            throw new ApiProblem(422, "hyperparameters", "Invalid hyperparameters", detail, errors);
        }
    }

    private static String typeError(JsonNode spec, JsonNode v, EditMethod method) {
        String type = spec.path("type").asText();
        boolean ok = switch (type) {
            case "integer" -> v.isIntegralNumber();
            case "number" -> v.isNumber();
            case "boolean" -> v.isBoolean();
            case "string" -> v.isTextual();
            case "integer-array" -> {
                boolean all = v.isArray() && v.size() > 0;
                for (JsonNode x : v) {
                    all &= x.isIntegralNumber();
                }
                yield all;
            }
            default -> true;
        };
        if (!ok) {
            return "must be of type " + type + ", got " + v;
        }
        JsonNode max = spec.path("maxItems");
        if (max.isIntegralNumber() && v.size() > max.asLong()) {
            return "method '" + method.wireName() + "' takes at most " + max.asLong() + (max.asLong() == 1 ? " item" : " items")
                    + ", got " + v;
        }
        return null;
    }

    private static List<String> fieldNames(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }
}
