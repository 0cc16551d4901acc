package dev.hookline.registry;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import static dev.hookline.registry.Fixtures.as;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The audit log is append-only for the application role (the database refuses UPDATE and
 * DELETE), and a row changed behind the registry's back by a superuser is found by verify.
 */
@QuarkusTest
class AuditTest {

    private static final String ADMIN = HooklineTestResources.ADMIN_TOKEN;

    @Test
    void applicationRoleCannotUpdateOrDeleteAuditRows() throws Exception {
        Fixtures.token(Fixtures.unique("someone"), "SUBMITTER"); // at least one event exists
        try (Connection c = HooklineTestResources.appRole(); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT count(*) FROM audit_event")) {
                rs.next();
                assertTrue(rs.getLong(1) > 0, "the application role can read the log");
            }
            SQLException update = assertThrows(SQLException.class,
                    () -> st.executeUpdate("UPDATE audit_event SET actor = 'mallory'"));
            assertEquals("42501", update.getSQLState(), update.getMessage()); // insufficient_privilege
            SQLException delete = assertThrows(SQLException.class, () -> st.executeUpdate("DELETE FROM audit_event"));
            assertEquals("42501", delete.getSQLState(), delete.getMessage());
            SQLException truncate = assertThrows(SQLException.class, () -> st.executeUpdate("TRUNCATE audit_event"));
            assertEquals("42501", truncate.getSQLState(), truncate.getMessage());
        }
        // Even the owner meets the append-only trigger unless it deliberately switches triggers off.
        try (Connection c = HooklineTestResources.superuser(); Statement st = c.createStatement()) {
            SQLException trig = assertThrows(SQLException.class,
                    () -> st.executeUpdate("UPDATE audit_event SET actor = 'mallory' WHERE seq = 1"));
            assertTrue(trig.getMessage().contains("append-only"), trig.getMessage());
        }
        as(ADMIN).get("/api/audit/verify").then().statusCode(200).body("ok", is(true));
    }

    @Test
    void verifyNamesTheFirstTamperedRow() throws Exception {
        for (int i = 0; i < 3; i++) {
            Fixtures.token(Fixtures.unique("chain"), "REVIEWER");
        }
        Response ok = as(ADMIN).get("/api/audit/verify");
        ok.then().statusCode(200).body("ok", is(true));
        long last = ok.<Number>path("lastSeq").longValue();
        assertTrue(last >= 3);
        long target = last - 1; // a row in the middle of the chain
        long targetId;
        String original;
        try (Connection c = HooklineTestResources.superuser(); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT id, payload FROM audit_event WHERE seq = " + target)) {
                rs.next();
                targetId = rs.getLong(1);
                original = rs.getString(2);
            }
            st.execute("SET session_replication_role = replica"); // superuser only: bypasses the trigger
            try (PreparedStatement ps = c.prepareStatement("UPDATE audit_event SET payload = ? WHERE seq = ?")) {
                ps.setString(1, original.replace("REVIEWER", "ADMIN"));
                ps.setLong(2, target);
                assertEquals(1, ps.executeUpdate());
            }
        }
        try {
            as(ADMIN).get("/api/audit/verify").then().statusCode(200)
                    .body("ok", is(false))
                    .body("brokenAtSeq", equalTo((int) target))
                    .body("brokenEventId", equalTo((int) targetId))
                    .body("checked", equalTo((int) target - 1));
        } finally {
            try (Connection c = HooklineTestResources.superuser(); Statement st = c.createStatement()) {
                st.execute("SET session_replication_role = replica");
                try (PreparedStatement ps = c.prepareStatement("UPDATE audit_event SET payload = ? WHERE seq = ?")) {
                    ps.setString(1, original);
                    ps.setLong(2, target);
                    ps.executeUpdate();
                }
            }
        }
        as(ADMIN).get("/api/audit/verify").then().statusCode(200).body("ok", is(true));
        // The log is readable page by page and each event names its predecessor's hash.
        Response page = as(ADMIN).queryParam("afterSeq", target - 2).queryParam("limit", 2).get("/api/audit");
        page.then().statusCode(200);
        assertEquals(page.<String>path("[0].hash"), page.<String>path("[1].prevHash"));
    }
}
