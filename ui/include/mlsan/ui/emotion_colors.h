// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// One colour per emotion label, the same in every view: MELD's seven in MultiEMO's order
// (neutral grey, surprise orange, fear purple, sadness blue, joy yellow, disgust green, anger
// red), IEMOCAP's six by name, anything else from a qualitative palette.
#include <QColor>
#include <QString>

namespace mlsan::ui {

inline QColor emotionColor(const QString& label, int index) {
  const QString l = label.toLower();
  if (l.startsWith("neu")) return QColor(140, 140, 140);
  if (l.startsWith("surp") || l.startsWith("exc")) return QColor(255, 127, 14);
  if (l.startsWith("fear")) return QColor(148, 103, 189);
  if (l.startsWith("sad")) return QColor(31, 119, 180);
  if (l.startsWith("joy") || l.startsWith("hap")) return QColor(219, 180, 20);
  if (l.startsWith("disg")) return QColor(44, 160, 44);
  if (l.startsWith("ang")) return QColor(214, 39, 40);
  if (l.startsWith("frus")) return QColor(140, 86, 75);
  static const QColor palette[] = {QColor(23, 190, 207), QColor(227, 119, 194), QColor(188, 189, 34), QColor(57, 59, 121)};
  return palette[index % 4];
}

}  // namespace mlsan::ui
