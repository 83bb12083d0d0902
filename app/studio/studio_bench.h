// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <QString>

#include "mlsan/ui/main_window.h"

namespace mlsan::studio {

/// `mlsan-studio --bench`: opens the demo corpus with two freshly trained one-epoch models (in a
/// temporary folder: the cached demo models are left alone), then times stepping through
/// utterances (every view updated and repainted) and showing a clip's first frame. Prints the
/// figures against the targets (step < 50 ms, first frame < 150 ms). Returns the exit code.
int runBench(ui::StudioOptions options);

/// Waits until the corpus and runs have loaded (and the demo models trained), saves a picture
/// of the window to `file`, and returns the exit code.
int screenshotWhenReady(ui::MainWindow& window, const QString& file);

}  // namespace mlsan::studio
