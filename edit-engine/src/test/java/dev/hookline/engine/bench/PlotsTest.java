/*
 * Bench plots render without AWT fonts: a separate headless JVM draws a plot with -verbose:class
 * and must load no font manager (libfontmanager needs libharfbuzz, absent on the GPU host);
 * the labels' pixels are the bitmap font's glyphs.
 */
package dev.hookline.engine.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlotsTest {

    /** Entry of the child JVM: writes a two-panel plot to args[0]. */
    public static void main(String[] args) throws IOException {
        Plots.write(Path.of(args[0]), panels());
    }

    static List<Plots.Panel> panels() {
        Plots.Series a = new Plots.Series("coachhook", new double[] {0, 500, 1000}, new double[] {1, 0.9, 0.8});
        Plots.Series b = new Plots.Series("memit L3", new double[] {0, 500, 1000}, new double[] {0.2, Double.NaN, 0.6});
        return List.of(new Plots.Panel("Efficacy vs edits", "edits", 0, 1, List.of(a, b)),
                new Plots.Panel("alpha (%) per layer", "batches", -1, 2, List.of(b)));
    }

    @Test
    void rendersInAHeadlessJvmWithoutLoadingFonts(@TempDir Path tmp) throws Exception {
        Path png = tmp.resolve("plot.png");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Djava.awt.headless=true", "-verbose:class",
                "-cp", System.getProperty("java.class.path"), PlotsTest.class.getName(), png.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), log.length() > 4000 ? log.substring(log.length() - 4000) : log);
        assertTrue(log.contains("dev.hookline.engine.bench.BitmapFont"), "the child JVM drew with the bitmap font");
        // java.awt.Font itself loads with every Graphics2D (its default font field); what needs the
        // system libraries is the font manager and its native library.
        for (String cls : List.of("sun.font.FontManagerNativeLibrary", "sun.font.FontManagerFactory",
                "sun.font.SunFontManager", "sun.font.FontDesignMetrics", "sun.font.GlyphList")) {
            assertFalse(log.contains(cls + " "), cls + " must not load");
        }

        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(720, img.getWidth());
        assertEquals(260, img.getHeight());
        // The title "Efficacy vs edits" starts at (45, baseline 15): every glyph pixel is drawn
        // black, every other pixel of the cell is white.
        String title = "Efficacy vs edits";
        int top = 15 - BitmapFont.BASELINE;
        int set = 0;
        for (int i = 0; i < title.length(); i++) {
            for (int y = 0; y < BitmapFont.HEIGHT; y++) {
                for (int x = 0; x < BitmapFont.WIDTH; x++) {
                    int rgb = img.getRGB(45 + i * BitmapFont.WIDTH + x, top + y) & 0xffffff;
                    boolean on = BitmapFont.pixel(title.charAt(i), x, y);
                    assertEquals(on ? 0x000000 : 0xffffff, rgb, "pixel " + x + "," + y + " of '" + title.charAt(i) + "'");
                    set += on ? 1 : 0;
                }
            }
        }
        assertTrue(set > 100, "the title has ink: " + set);
    }

    @Test
    void everyPrintableCharacterHasAGlyphAndOthersFallBack() {
        for (char c = 33; c < 127; c++) {
            boolean any = false;
            for (int y = 0; y < BitmapFont.HEIGHT; y++) {
                for (int x = 0; x < BitmapFont.WIDTH; x++) {
                    any |= BitmapFont.pixel(c, x, y);
                }
            }
            assertTrue(any, "glyph for '" + c + "'");
        }
        for (int y = 0; y < BitmapFont.HEIGHT; y++) {
            for (int x = 0; x < BitmapFont.WIDTH; x++) {
                assertFalse(BitmapFont.pixel(' ', x, y));
                assertEquals(BitmapFont.pixel('?', x, y), BitmapFont.pixel('\u00e9', x, y));
            }
        }
        assertEquals(7 * 5, BitmapFont.width("alpha"));
    }

    @Test
    void writesFilesDirectlyToo(@TempDir Path tmp) throws IOException {
        Path png = tmp.resolve("direct.png");
        Plots.write(png, panels());
        assertTrue(Files.size(png) > 1000);
    }
}
