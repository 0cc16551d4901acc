package dev.hookline.registry;

import dev.hookline.registry.audit.AuditResource;
import dev.hookline.registry.auth.Allow;
import dev.hookline.registry.auth.Role;
import dev.hookline.registry.auth.TokenResource;
import dev.hookline.registry.batch.BatchResource;
import dev.hookline.registry.blob.BlobResource;
import dev.hookline.registry.channel.ChannelResource;
import dev.hookline.registry.governance.ApprovalResource;
import dev.hookline.registry.governance.ChannelPolicyResource;
import dev.hookline.registry.governance.Evidence;
import dev.hookline.registry.governance.TensorDiffResource;
import dev.hookline.registry.governance.GateResource;
import dev.hookline.registry.governance.OwnAuditResource;
import dev.hookline.registry.governance.RevertResource;
import dev.hookline.registry.governance.RollbackTargetResource;
import dev.hookline.registry.governance.WorkerResource;
import dev.hookline.registry.job.JobResource;
import dev.hookline.registry.model.ModelResource;
import dev.hookline.registry.node.NodeResource;
import dev.hookline.registry.version.VersionResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HEAD;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every endpoint x every role: allowed (anything but 401/403) or 403, as the table says; and 401
 * without a token or with an unknown one. The table must also equal the {@link Allow}
 * annotations of the resource classes, so an endpoint cannot be added without a row here.
 */
@QuarkusTest
class RoleMatrixTest {

    private static final Set<Role> ANY = EnumSet.allOf(Role.class);
    private static final String ID = "987654321";
    private static final String HEX = "a".repeat(64);

    /** One row: method, path template, the roles allowed. */
    record Row(String method, String template, Set<Role> allowed) {
        String key() {
            return method + " " + template;
        }
    }

    private static final List<Row> TABLE = List.of(
            row("GET", "/api/me", ANY),
            row("POST", "/api/tokens", Role.ADMIN),
            row("GET", "/api/tokens", Role.ADMIN),
            row("DELETE", "/api/tokens/{id}", Role.ADMIN),
            row("POST", "/api/models", Role.ADMIN),
            row("GET", "/api/models", ANY),
            row("GET", "/api/models/{id}", ANY),
            row("GET", "/api/models/{id}/versions", ANY),
            row("PUT", "/api/models/{id}/stats", Role.WORKER, Role.ADMIN),
            row("PUT", "/api/models/{id}/edit-defaults", Role.ADMIN),
            row("GET", "/api/models/builds", ANY),
            row("PUT", "/api/models/builds/{name}", Role.WORKER, Role.ADMIN),
            row("POST", "/api/batches", Role.SUBMITTER),
            row("GET", "/api/batches", ANY),
            row("GET", "/api/batches/{id}", ANY),
            row("POST", "/api/batches/{id}/queue", Role.SUBMITTER, Role.ADMIN),
            row("POST", "/api/batches/{id}/cancel", Role.SUBMITTER, Role.ADMIN),
            row("POST", "/api/jobs/lease", Role.WORKER),
            row("POST", "/api/jobs/{id}/heartbeat", Role.WORKER),
            row("POST", "/api/jobs/{id}/complete", Role.WORKER),
            row("POST", "/api/jobs/{id}/fail", Role.WORKER),
            row("POST", "/api/jobs/{id}/release", Role.WORKER),
            row("GET", "/api/jobs", Role.WORKER, Role.ADMIN),
            row("GET", "/api/jobs/{id}", Role.WORKER, Role.ADMIN),
            row("GET", "/api/versions/{id}", ANY),
            row("POST", "/api/versions/{id}/validate", Role.REVIEWER),
            row("POST", "/api/versions/{id}/reject", Role.REVIEWER),
            row("GET", "/api/versions/{id}/resolve", Role.SERVING, Role.RELEASER, Role.ADMIN),
            row("GET", "/api/models/{modelId}/channels", ANY),
            row("GET", "/api/models/{modelId}/channels/{name}", ANY),
            row("PUT", "/api/models/{modelId}/channels/{name}", Role.RELEASER),
            row("POST", "/api/models/{modelId}/channels/{name}/rollback", Role.RELEASER),
            row("GET", "/api/models/{modelId}/channels/{name}/resolve", Role.SERVING, Role.RELEASER, Role.ADMIN),
            row("GET", "/api/models/{modelId}/channels/{name}/at", ANY),
            row("POST", "/api/nodes", Role.SERVING),
            row("POST", "/api/nodes/{id}/heartbeat", Role.SERVING),
            row("GET", "/api/nodes", ANY),
            row("GET", "/api/nodes/{id}/history", ANY),
            row("GET", "/api/nodes/{id}/at", ANY),
            row("PUT", "/api/blobs/sha256/{hex}", Role.WORKER, Role.ADMIN),
            row("HEAD", "/api/blobs/sha256/{hex}", ANY),
            row("GET", "/api/blobs/sha256/{hex}", Role.WORKER, Role.SERVING, Role.REVIEWER, Role.ADMIN),
            row("DELETE", "/api/blobs/sha256/{hex}", Role.ADMIN),
            row("POST", "/api/blobs/sha256/{hex}/uploads", Role.WORKER, Role.ADMIN),
            row("POST", "/api/blobs/sha256/{hex}/uploads/{uploadId}", Role.WORKER, Role.ADMIN),
            row("DELETE", "/api/blobs/sha256/{hex}/uploads/{uploadId}", Role.WORKER, Role.ADMIN),
            row("GET", "/api/blobs/unreferenced", Role.ADMIN),
            row("GET", "/api/audit", Role.ADMIN, Role.REVIEWER),
            row("GET", "/api/audit/verify", Role.ADMIN, Role.REVIEWER, Role.RELEASER),
            row("GET", "/api/models/{modelId}/gate", ANY),
            row("PUT", "/api/models/{modelId}/gate", Role.ADMIN),
            row("GET", "/api/models/{modelId}/channels/{name}/policy", ANY),
            row("PUT", "/api/models/{modelId}/channels/{name}/policy", Role.ADMIN),
            row("POST", "/api/models/{modelId}/channels/{name}/approvals", Role.RELEASER),
            row("POST", "/api/workers", Role.WORKER),
            row("GET", "/api/workers", ANY),
            row("GET", "/api/models/{modelId}/channels/{name}/rollback-target", ANY),
            row("POST", "/api/versions/{id}/revert", Role.SUBMITTER),
            row("GET", "/api/versions/{id}/evidence", ANY),
            row("GET", "/api/versions/{from}/diff/{to}/tensors", ANY),
            row("GET", "/api/audit/mine", ANY));

    private static final Map<Role, String> TOKENS = new EnumMap<>(Role.class);

    @BeforeEach
    void tokens() {
        if (!TOKENS.isEmpty()) {
            return;
        }
        for (Role r : Role.values()) {
            TOKENS.put(r, Fixtures.token(Fixtures.unique("only-" + r.name().toLowerCase()), r.name()));
        }
    }

    @Test
    void tableMatchesTheDeclaredRolesOfEveryEndpoint() {
        Map<String, Set<Role>> declared = new TreeMap<>();
        for (Class<?> c : List.of(TokenResource.class, ModelResource.class, BatchResource.class, JobResource.class,
                VersionResource.class, ChannelResource.class, NodeResource.class, BlobResource.class,
                AuditResource.class, GateResource.class, ChannelPolicyResource.class, ApprovalResource.class,
                WorkerResource.class, RollbackTargetResource.class, RevertResource.class,
                Evidence.class, OwnAuditResource.class, TensorDiffResource.class)) {
            String base = c.getAnnotation(Path.class).value();
            for (Method m : c.getDeclaredMethods()) {
                String verb = verb(m);
                if (verb == null) {
                    continue;
                }
                Path p = m.getAnnotation(Path.class);
                String path = (base + (p == null ? "" : p.value())).replaceAll("/+$", "");
                Allow allow = m.getAnnotation(Allow.class);
                assertTrue(allow != null, verb + " " + path + " has no @Allow");
                Set<Role> roles = allow.value().length == 0 ? ANY : EnumSet.copyOf(Arrays.asList(allow.value()));
                declared.put(verb + " " + path, roles);
            }
        }
        Map<String, Set<Role>> table = new TreeMap<>();
        TABLE.forEach(r -> table.put(r.key(), r.allowed()));
        assertEquals(table, declared);
    }

    @Test
    void everyEndpointTimesEveryRoleIsAllowedOr403() {
        List<String> failures = new ArrayList<>();
        int checked = 0;
        for (Row row : TABLE) {
            for (Role role : Role.values()) {
                Response r = call(given().header("Authorization", "Bearer " + TOKENS.get(role)), row);
                int s = r.statusCode();
                boolean allowed = row.allowed().contains(role);
                if (s >= 500) {
                    failures.add(row.key() + " as " + role + ": server error " + s + " " + r.asString());
                } else if (allowed && (s == 401 || s == 403)) {
                    failures.add(row.key() + " as " + role + ": expected allowed, got " + s);
                } else if (!allowed && s != 403) {
                    failures.add(row.key() + " as " + role + ": expected 403, got " + s);
                } else if (!allowed && !row.method().equals("HEAD")
                        && !"urn:hookline:problem:wrong-role".equals(r.path("type"))) {
                    failures.add(row.key() + " as " + role + ": 403 without a problem body");
                }
                checked++;
            }
            int anonymous = call(given(), row).statusCode();
            int unknown = call(given().header("Authorization", "Bearer hl_not_a_token"), row).statusCode();
            if (anonymous != 401 || unknown != 401) {
                failures.add(row.key() + ": no token -> " + anonymous + ", unknown token -> " + unknown + " (want 401)");
            }
        }
        assertEquals(List.of(), failures);
        assertEquals(TABLE.size() * Role.values().length, checked);
    }

    private static Response call(RequestSpecification spec, Row row) {
        String path = row.template().replace("{id}", ID).replace("{modelId}", ID).replace("{name}", "nochannel")
                .replace("{hex}", HEX).replace("{from}", ID).replace("{to}", ID)
                .replace("{uploadId}", "3-0123456789abcdef0123456789abcdef");
        if (row.method().equals("PUT") && path.startsWith("/api/blobs")) {
            return spec.contentType("application/octet-stream").body(new byte[] {1, 2, 3}).put(path);
        }
        if (row.template().equals("/api/jobs/lease")) {
            // Only a model that does not exist: never take another test's job.
            spec = spec.contentType("application/json").body("{\"modelId\": " + ID + "}");
        } else if (row.method().equals("POST") || row.method().equals("PUT")) {
            spec = spec.contentType("application/json").body("{}");
        }
        return spec.request(row.method(), path);
    }

    private static String verb(Method m) {
        if (m.isAnnotationPresent(GET.class)) {
            return "GET";
        }
        if (m.isAnnotationPresent(POST.class)) {
            return "POST";
        }
        if (m.isAnnotationPresent(PUT.class)) {
            return "PUT";
        }
        if (m.isAnnotationPresent(DELETE.class)) {
            return "DELETE";
        }
        if (m.isAnnotationPresent(HEAD.class)) {
            return "HEAD";
        }
        return null;
    }

    private static Row row(String method, String template, Set<Role> roles) {
        return new Row(method, template, roles);
    }

    private static Row row(String method, String template, Role... roles) {
        return new Row(method, template, Arrays.stream(roles).collect(Collectors.toCollection(() -> EnumSet.noneOf(Role.class))));
    }
}
