<?php
// Writes photo-like JPEGs for scripts/bench.py --wordpress real: a smooth random colour field
// (a few colour cells scaled up) overlaid with a grain texture, so that the JPEG carries real
// detail (about 0.33 bytes per pixel at quality 85) and WordPress's image editor does real work.
//   php make_images.php OUT_DIR QUALITY W1xH1 W2xH2 ...     -> OUT_DIR/base-0.jpg, base-1.jpg, ...
[$_, $out, $quality] = $argv;
foreach (array_slice($argv, 3) as $n => $size) {
    [$w, $h] = array_map('intval', explode('x', $size));
    mt_srand(1000 + $n);
    $cells = "P6\n14 11\n255\n";
    for ($i = 0; $i < 14 * 11 * 3; $i++) $cells .= chr(mt_rand(0, 255));
    $im = new Imagick();
    $im->readImageBlob($cells);
    $im->resizeImage($w, $h, Imagick::FILTER_TRIANGLE, 1);
    $grain = '';
    for ($i = 0; $i < 256 * 256; $i++) $grain .= chr(mt_rand(96, 160));
    $tile = new Imagick();
    $tile->readImageBlob("P5\n256 256\n255\n" . $grain);
    $im->compositeImage($im->textureImage($tile), Imagick::COMPOSITE_OVERLAY, 0, 0);
    $im->setImageFormat('jpeg');
    $im->setImageCompressionQuality((int)$quality);
    $im->stripImage();
    file_put_contents("$out/base-$n.jpg", $im->getImageBlob());
}
