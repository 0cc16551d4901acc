package dev.hookline.registry;

import dev.hookline.registry.api.Digests;
import dev.hookline.registry.api.Json;
import dev.hookline.registry.audit.AuditEvent;
import dev.hookline.registry.audit.AuditLog;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** The canonical serialisation behind bundle digests and the audit chain (no application needed). */
class CanonicalJsonTest {

    @Test
    void keysAreSortedRecursivelyAndWhitespaceDropped() {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("z", 1);
        inner.put("a", List.of(Map.of("y", true, "b", "x")));
        Map<String, Object> outer = new LinkedHashMap<>();
        outer.put("role", "hook");
        outer.put("inner", inner);
        assertEquals("{\"inner\":{\"a\":[{\"b\":\"x\",\"y\":true}],\"z\":1},\"role\":\"hook\"}", Json.canonical(outer));
        assertEquals(Json.canonical(outer), Json.canonical(Json.tree("{ \"role\" : \"hook\", \"inner\": {\"z\":1, "
                + "\"a\":[{\"y\":true,\"b\":\"x\"}]}}")));
    }

    @Test
    void auditHashCoversPrevHashAndEveryField() {
        AuditEvent e = new AuditEvent();
        e.seq = 7;
        e.at = Instant.parse("2026-11-28T05:00:00.123456Z");
        e.actor = "alice";
        e.action = "channel.moved";
        e.entityType = "channel";
        e.entityId = "3";
        e.payload = Json.canonical(Map.of("toVersionId", 5, "reason", "release"));
        e.prevHash = AuditLog.GENESIS;
        String canonical = "{\"action\":\"channel.moved\",\"actor\":\"alice\",\"at\":\"2026-11-28T05:00:00.123456Z\","
                + "\"entityId\":\"3\",\"entityType\":\"channel\",\"payload\":{\"reason\":\"release\",\"toVersionId\":5},"
                + "\"seq\":7}";
        assertEquals(canonical, AuditLog.canonical(e));
        String hash = AuditLog.hash(e);
        assertEquals(Digests.sha256Hex(AuditLog.GENESIS + canonical), hash);
        assertEquals(64, hash.length());
        e.actor = "mallory";
        assertNotEquals(hash, AuditLog.hash(e));
        e.actor = "alice";
        e.prevHash = "1".repeat(64);
        assertNotEquals(hash, AuditLog.hash(e));
    }
}
