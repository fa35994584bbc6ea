package org.gkd4j.gkd.report;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.gkd4j.gkd.train.AtomicFiles;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Draws the run's PNG: the training loss over steps beside the evaluation divergences over steps (headless). */
public final class LossPlot {

    private static final int WIDTH = 640;
    private static final int HEIGHT = 420;

    private LossPlot() {
    }

    /**
     * Writes the plot to {@code path}.
     *
     * @param steps     training steps with a loss
     * @param losses    the loss of each step
     * @param evalSteps steps at which the evaluation ran
     * @param evalSeries evaluation metric name → one value per evaluation step (NaN where missing)
     */
    public static void write(Path path, List<Integer> steps, List<Double> losses, List<Integer> evalSteps,
                             Map<String, List<Double>> evalSeries) throws IOException {
        System.setProperty("java.awt.headless", "true");

        // left: training loss
        XYChart lossChart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title("training loss")
                .xAxisTitle("step").yAxisTitle("loss").build();
        lossChart.getStyler().setLegendVisible(false);
        if (!steps.isEmpty()) {
            XYSeries series = lossChart.addSeries("loss", steps, losses);
            series.setMarker(SeriesMarkers.NONE);
        }

        // right: held-out divergences and NLL
        XYChart evalChart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title("held-out evaluation")
                .xAxisTitle("step").yAxisTitle("nats per token").build();
        for (Map.Entry<String, List<Double>> entry : evalSeries.entrySet()) {
            if (!evalSteps.isEmpty() && entry.getValue().stream().anyMatch(v -> !v.isNaN())) {
                evalChart.addSeries(entry.getKey(), evalSteps, entry.getValue());
            }
        }

        // side by side on one image
        BufferedImage left = BitmapEncoder.getBufferedImage(lossChart);
        BufferedImage right = BitmapEncoder.getBufferedImage(evalChart);
        BufferedImage both = new BufferedImage(2 * WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D graphics = both.createGraphics();
        graphics.setColor(Color.WHITE);
        graphics.fillRect(0, 0, 2 * WIDTH, HEIGHT);
        graphics.drawImage(left, 0, 0, null);
        graphics.drawImage(right, WIDTH, 0, null);
        graphics.dispose();
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(both, "png", png);
        AtomicFiles.writeBytes(path, png.toByteArray());
    }
}
