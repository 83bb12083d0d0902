// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The built-in visual extractor of `mlsan extract` (issue 18): descriptors of an aligned grey face
// crop, no weights. Per crop (64 x 64, values 0..1), a histogram of oriented gradients (4 x 4
// cells of 16 pixels, 9 unsigned orientation bins, 2 x 2-cell blocks, L2-Hys) and uniform local
// binary patterns (8 neighbours, 59 codes, one histogram per quarter of the crop); per utterance,
// the mean over its face frames (MultiEMO's VisExtNet pools at most 20). The maths is in
// extract/README.md. Pure; any thread.
#include <cstddef>
#include <string>
#include <vector>

namespace mlsan::extract {

/// The crop side the descriptors expect (the pipeline resizes each face to it).
constexpr int kFaceSide = 64;

/// HOG of one crop: 3 x 3 blocks x 4 cells x 9 bins = 324 values.
std::vector<float> hogDescriptor(const float* grey);
/// Uniform LBP of one crop: 4 quarters x 59 codes = 236 values, each quarter's histogram summing to 1.
std::vector<float> lbpDescriptor(const float* grey);
/// HOG then LBP: 560 values.
std::vector<float> faceDescriptor(const float* grey);
constexpr int kFaceDescriptorDim = 324 + 236;

/// The utterance vector: the mean of the face descriptors of its frames (`crops` holds
/// `count` crops of kFaceSide^2 values each); zeros when count is 0, as MultiEMO stores an
/// utterance where no face was found.
std::vector<float> visualVector(const float* crops, std::size_t count);

/// The uniform-LBP code (0..58) of an 8-bit neighbourhood pattern: the 58 patterns with at most
/// two 0/1 transitions around the circle get their own codes in increasing pattern order, every
/// other pattern code 58.
int uniformLbpCode(unsigned pattern);

}  // namespace mlsan::extract
