/*
 * Per-fact evidence of a version (issue 25): what the worker measured for every edit of the batch
 * and every earlier edit it re-checked (base and edited top-1, probabilities of the old and new
 * target, each paraphrase and locality prompt's pass/fail) and greedy outputs before/after for a
 * few prompts. Sent with the job completion, stored with the version, served failures first.
 */
package dev.hookline.registry.governance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hookline.registry.api.Check;
import dev.hookline.registry.api.Json;
import dev.hookline.registry.version.HookVersion;
import dev.hookline.registry.version.VersionService;
import jakarta.transaction.Transactional;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * {@code GET /api/versions/{id}/evidence}: {@code {versionId, batchId, recorded, failures, facts,
 * generations}}; facts that failed come first. Completion body field {@code evidence}:
 * {@code {facts: [{origin: batch|earlier, batchId?, ordinal?, subject, prompt, targetNew, targetTrue?,
 * base: {top1, pNew, pOld?}, edited: {top1, pNew, pOld?}, success, paraphrases: [{prompt, pass}],
 * locality: [{prompt, expected, pass}]}], generations: [{prompt, before, after}]}}.
 */
@Path("/api/versions/{id}/evidence")
@SecurityRequirement(name = "bearer")
public class Evidence {

    /** Shape check of a completion's evidence (400 field errors, nothing stored). */
    public static void check(Check c, JsonNode evidence) {
        if (evidence == null || evidence.isNull()) {
            return;
        }
        if (!c.that(evidence.isObject() && evidence.path("facts").isArray(), "evidence",
                "must be an object with a facts array")) {
            return;
        }
        int i = 0;
        for (JsonNode f : evidence.path("facts")) {
            String p = "evidence.facts[" + i++ + "]";
            c.that(f.path("subject").isTextual() && f.path("targetNew").isTextual(), p,
                    "needs subject and targetNew");
            c.that(f.path("success").isBoolean(), p + ".success", "must be a boolean");
            c.that(f.path("edited").isObject() && f.path("base").isObject(), p, "needs base and edited objects");
        }
    }

    /** True when every recorded check of a fact passed. */
    static boolean passed(JsonNode f) {
        if (!f.path("success").asBoolean(false)) {
            return false;
        }
        for (JsonNode p : f.path("paraphrases")) {
            if (!p.path("pass").asBoolean(false)) {
                return false;
            }
        }
        for (JsonNode l : f.path("locality")) {
            if (!l.path("pass").asBoolean(false)) {
                return false;
            }
        }
        return true;
    }

    @GET
    @dev.hookline.registry.auth.Allow
    @Transactional
    public JsonNode get(@PathParam("id") String id) {
        HookVersion v = VersionService.require(Check.id(id, "id"));
        ObjectNode out = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        out.put("versionId", v.id);
        out.put("batchId", v.batchId);
        out.put("recorded", v.evidenceJson != null);
        JsonNode ev = v.evidenceJson == null ? com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode() : Json.tree(v.evidenceJson);
        List<JsonNode> facts = new ArrayList<>();
        ev.path("facts").forEach(facts::add);
        facts.sort(Comparator.comparing((JsonNode f) -> passed(f)));
        ArrayNode arr = out.putArray("facts");
        int failures = 0;
        for (JsonNode f : facts) {
            ObjectNode o = ((ObjectNode) f.deepCopy());
            boolean ok = passed(f);
            o.put("passed", ok);
            failures += ok ? 0 : 1;
            arr.add(o);
        }
        out.put("failures", failures);
        out.set("generations", ev.path("generations").isArray() ? ev.path("generations") : com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.arrayNode());
        return out;
    }
}
