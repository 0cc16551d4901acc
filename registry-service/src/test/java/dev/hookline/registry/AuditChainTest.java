package dev.hookline.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

import static dev.hookline.registry.Fixtures.as;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Issue 26, the audit chain: deleting the last event (a shorter chain is still a valid chain) is
 * caught by the signed checkpoint in object storage, and an event appended through the database
 * login with a correctly computed plain hash is caught by its missing or wrong HMAC.
 */
@QuarkusTest
class AuditChainTest {

    private static final String ADMIN = HooklineTestResources.ADMIN_TOKEN;
    private static final String COLUMNS = "id, seq, at, actor, action, entity_type, entity_id, payload, prev_hash, hash, hmac";

    @Test
    void deletingTheLastEventIsDetectedByTheCheckpoint() throws Exception {
        Fixtures.token(Fixtures.unique("tail"), "REVIEWER");
        Response ok = as(ADMIN).get("/api/audit/verify");
        ok.then().statusCode(200).body("ok", is(true));
        long last = ok.<Number>path("lastSeq").longValue();
        ok.then().body("checkpoint.seq", equalTo((int) last)).body("checkpoint.signatureValid", is(true))
                .body("checkpoint.key", equalTo("audit/checkpoint.json"));
        Object[] row = new Object[11];
        try (Connection c = HooklineTestResources.superuser(); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT " + COLUMNS + " FROM audit_event WHERE seq = " + last)) {
                rs.next();
                for (int i = 0; i < row.length; i++) {
                    row[i] = rs.getObject(i + 1);
                }
            }
            st.execute("SET session_replication_role = replica"); // superuser only: bypasses the trigger
            assertEquals(1, st.executeUpdate("DELETE FROM audit_event WHERE seq = " + last));
        }
        try {
            as(ADMIN).get("/api/audit/verify").then().statusCode(200)
                    .body("ok", is(false))
                    .body("lastSeq", equalTo((int) last - 1))
                    .body("brokenAtSeq", equalTo((int) last))
                    .body("reason", containsString("removed from the tail"))
                    .body("checkpoint.seq", equalTo((int) last));
        } finally {
            try (Connection c = HooklineTestResources.superuser();
                 PreparedStatement ps = c.prepareStatement("INSERT INTO audit_event (" + COLUMNS
                         + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                for (int i = 0; i < row.length; i++) {
                    ps.setObject(i + 1, row[i]);
                }
                ps.executeUpdate();
            }
        }
        as(ADMIN).get("/api/audit/verify").then().statusCode(200).body("ok", is(true));
    }

    @Test
    void anEventForgedThroughTheDatabaseLoginIsDetected() throws Exception {
        Fixtures.token(Fixtures.unique("forge"), "REVIEWER");
        Response ok = as(ADMIN).get("/api/audit/verify");
        ok.then().statusCode(200).body("ok", is(true));
        long last = ok.<Number>path("lastSeq").longValue();
        for (String hmac : new String[]{null, "0".repeat(64)}) {
            long forgedId;
            try (Connection c = HooklineTestResources.appRole()) {
                String prev;
                try (Statement st = c.createStatement();
                     ResultSet rs = st.executeQuery("SELECT hash FROM audit_event WHERE seq = " + last)) {
                    rs.next();
                    prev = rs.getString(1).trim();
                }
                Instant at = Instant.now().truncatedTo(ChronoUnit.MICROS);
                String payload = "{\"principal\":\"mallory\",\"roles\":\"ADMIN\"}";
                Map<String, Object> canonical = new TreeMap<>();
                canonical.put("action", "token.created");
                canonical.put("actor", "admin");
                canonical.put("at", DateTimeFormatter.ISO_INSTANT.format(at));
                canonical.put("entityId", "999999");
                canonical.put("entityType", "token");
                canonical.put("payload", new ObjectMapper().readTree(payload));
                canonical.put("seq", last + 1);
                String text = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
                        .writeValueAsString(canonical);
                String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                        .digest((prev + text).getBytes(StandardCharsets.UTF_8)));
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO audit_event (seq, at, actor, action, "
                        + "entity_type, entity_id, payload, prev_hash, hash, hmac) VALUES (?, ?, 'admin', "
                        + "'token.created', 'token', '999999', ?, ?, ?, ?) RETURNING id")) {
                    ps.setLong(1, last + 1);
                    ps.setTimestamp(2, Timestamp.from(at));
                    ps.setString(3, payload);
                    ps.setString(4, prev);
                    ps.setString(5, hash);
                    ps.setString(6, hmac);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        forgedId = rs.getLong(1);
                    }
                }
            }
            try {
                as(ADMIN).get("/api/audit/verify").then().statusCode(200)
                        .body("ok", is(false))
                        .body("brokenAtSeq", equalTo((int) last + 1))
                        .body("brokenEventId", equalTo((int) forgedId))
                        .body("checked", equalTo((int) last))
                        .body("reason", containsString("forged"));
            } finally {
                try (Connection c = HooklineTestResources.superuser(); Statement st = c.createStatement()) {
                    st.execute("SET session_replication_role = replica");
                    st.executeUpdate("DELETE FROM audit_event WHERE id = " + forgedId);
                }
            }
        }
        as(ADMIN).get("/api/audit/verify").then().statusCode(200).body("ok", is(true));
    }
}
