// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// One colour per speaker identity, the same in every view (a qualitative palette; the last
// identity, conventionally "other", is grey).
#include <QColor>

namespace mlsan::ui {

inline QColor speakerColor(int speaker, int numSpeakers) {
  static const QColor palette[] = {QColor(31, 119, 180), QColor(255, 127, 14), QColor(44, 160, 44),
                                   QColor(214, 39, 40),  QColor(148, 103, 189), QColor(140, 86, 75),
                                   QColor(227, 119, 194), QColor(188, 189, 34), QColor(23, 190, 207),
                                   QColor(57, 59, 121),  QColor(173, 73, 74),  QColor(99, 121, 57)};
  if (speaker < 0) return QColor(120, 120, 120);
  if (numSpeakers > 1 && speaker == numSpeakers - 1) return QColor(127, 127, 127);
  const QColor base = palette[speaker % 12];
  return speaker < 12 ? base : base.darker(100 + 30 * (speaker / 12));
}

}  // namespace mlsan::ui
