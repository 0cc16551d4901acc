/*
 * An interrupted pretraining resumes to the weights of a run in one go, and Ctrl-C / SIGTERM stop it
 * cleanly. Before GracefulStop, a SIGTERM during a backward pass ended the JVM with a SIGSEGV in
 * libtorch (at::accelerator::getAccelerator) and an hs_err file, twice on this project's CPU runs.
 */
package dev.hookline.engine.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hookline.engine.io.Checkpoint;
import dev.hookline.engine.io.SafeTensors;
import dev.hookline.engine.train.PretrainPreset;
import dev.hookline.engine.train.PretrainReport;
import dev.hookline.engine.train.PretrainRun;
import dev.hookline.engine.train.Pretrainer;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("slow")
class PretrainResumeTest {
    private static final int EPOCHS = 3;
    private static final PretrainPreset PRESET = PretrainPreset.named("tiny").withEpochs(EPOCHS);

    @TempDir
    static Path dir;

    /** The reference: the same run in one go. */
    private static Path straight;

    @BeforeAll
    static void runInOneGo() throws Exception {
        straight = dir.resolve("straight");
        PretrainReport r = PretrainRun.run("tiny", null, PRESET, 5, straight, null, null);
        assertNull(r.resumedAfterEpoch());
        assertFalse(Files.exists(straight.resolve(PretrainRun.RESUME_DIR)), "no snapshot without Snapshots.WRITE");
    }

    @Test
    void aStoppedRunResumesToTheWeightsOfARunInOneGo() throws Exception {
        Path out = dir.resolve("stopped");
        Path snapshot = out.resolve(PretrainRun.RESUME_DIR).resolve("optimizer.safetensors");
        Pretrainer.Stopped stopped = assertThrows(Pretrainer.Stopped.class, () -> PretrainRun.run("tiny", null, PRESET, 5,
                out, null, null, PretrainRun.Snapshots.WRITE, () -> Files.exists(snapshot)));
        assertEquals(1, stopped.at().epochsDone());
        assertTrue(stopped.step() > 0);
        assertFalse(Files.exists(out.resolve(PretrainRun.REPORT_FILE)), "no report for a stopped run");
        assertFalse(Files.exists(out.resolve(Checkpoint.WEIGHTS_FILE)), "no final weights for a stopped run");

        // A fresh run into it is refused rather than discarding the finished epoch.
        IllegalArgumentException fresh = assertThrows(IllegalArgumentException.class,
                () -> PretrainRun.run("tiny", null, PRESET, 5, out, null, null, PretrainRun.Snapshots.WRITE, () -> false));
        assertTrue(fresh.getMessage().contains("interrupted run (1 of 3 epochs done)"), fresh.getMessage());
        // So is a resume with other options, naming what differs.
        IllegalArgumentException other = assertThrows(IllegalArgumentException.class,
                () -> PretrainRun.run("tiny", null, PRESET, 6, out, null, null, PretrainRun.Snapshots.RESUME, () -> false));
        assertTrue(other.getMessage().contains("seed 5 (this command: 6)"), other.getMessage());
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> PretrainRun.run("tiny", null,
                PRESET, 5, dir.resolve("empty"), null, null, PretrainRun.Snapshots.RESUME, () -> false));
        assertTrue(none.getMessage().contains("nothing to resume"), none.getMessage());

        PretrainReport resumed = PretrainRun.run("tiny", null, PRESET, 5, out, null, null,
                PretrainRun.Snapshots.RESUME, () -> false);
        assertEquals(1, resumed.resumedAfterEpoch());
        assertEquals(3, resumed.rssPerEpochMb().size(), "every epoch's RSS, the first one's from the snapshot");
        assertSameWeights(straight, out);
        PretrainReport reference = new com.fasterxml.jackson.databind.ObjectMapper()
                .readValue(straight.resolve(PretrainRun.REPORT_FILE).toFile(), PretrainReport.class);
        assertEquals(reference.steps(), resumed.steps());
        assertEquals(reference.tokens(), resumed.tokens());
        assertEquals(reference.firstEpochLoss(), resumed.firstEpochLoss());
        assertEquals(reference.finalLoss(), resumed.finalLoss());
        assertEquals(reference.canonicalAccuracy(), resumed.canonicalAccuracy());
        for (String left : List.of("resume", "resume.old", "resume.tmp")) {
            assertFalse(Files.exists(out.resolve(left)), left + " removed once the run completed");
        }
    }

    @Test
    void sigtermStopsTheCliCleanlyAndResumeFinishesIt() throws Exception {
        Path out = dir.resolve("signalled");
        Path errors = Files.createDirectories(dir.resolve("hs-err"));
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // The child's output goes to a file: Process.destroy() also closes the pipes to the child.
        Path log = dir.resolve("signalled.log");
        Process child = new ProcessBuilder(java, "-XX:ErrorFile=" + errors.resolve("hs_err_%p.log"), "-cp", cp,
                HooklineCli.class.getName(), "pretrain", "--world", "tiny", "--epochs", Integer.toString(EPOCHS),
                "--seed", "5", "--out", out.toString()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            Path snapshot = out.resolve(PretrainRun.RESUME_DIR).resolve("optimizer.safetensors");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
            while (!Files.exists(snapshot) && child.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(Files.exists(snapshot), "a snapshot after the first epoch: " + Files.readString(log));
            child.destroy(); // SIGTERM, at the start of the second epoch
            assertTrue(child.waitFor(180, TimeUnit.SECONDS), "stopped");
        } finally {
            child.destroyForcibly();
        }
        String text = Files.readString(log);
        assertEquals(143, child.exitValue(), text); // 128 + SIGTERM: the JVM's own shutdown, no crash
        assertTrue(text.contains("hookline pretrain: stopped at step"), text);
        assertTrue(text.contains("continue with the same command and --resume"), text);
        assertFalse(text.contains("fatal error"), text);
        try (var files = Files.list(errors)) {
            assertEquals(List.of(), files.toList(), "no JVM crash report");
        }
        assertFalse(Files.exists(out.resolve(PretrainRun.REPORT_FILE)));

        CliRun resumed = run("pretrain", "--world", "tiny", "--epochs", Integer.toString(EPOCHS), "--seed", "5",
                "--out", out.toString(), "--resume");
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.out().contains("resumed after epoch"), resumed.out());
        assertSameWeights(straight, out);
    }

    @Test
    void theCliRefusesAResumeWithoutARun() {
        CliRun r = run("pretrain", "--world", "tiny", "--out", dir.resolve("absent").toString(), "--resume");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--resume: " + dir.resolve("absent") + " does not exist"), r.err());
        assertFalse(Files.exists(dir.resolve("absent")), "nothing created");
    }

    private static CliRun run(String... args) {
        return CliRun.run(args);
    }

    /** Every tensor of the two checkpoints equal to the bit. */
    private static void assertSameWeights(Path expected, Path actual) throws Exception {
        try (SafeTensors.Reader a = SafeTensors.open(expected.resolve(Checkpoint.WEIGHTS_FILE));
                SafeTensors.Reader b = SafeTensors.open(actual.resolve(Checkpoint.WEIGHTS_FILE))) {
            assertEquals(a.tensors().keySet(), b.tensors().keySet());
            for (String name : a.tensors().keySet()) {
                ByteBuffer x = a.readFloat32(name);
                ByteBuffer y = b.readFloat32(name);
                byte[] xs = new byte[x.remaining()];
                byte[] ys = new byte[y.remaining()];
                x.get(xs);
                y.get(ys);
                assertArrayEquals(xs, ys, name);
            }
        }
    }
}
