"""The command map (一张图): disputes, warnings and open dispatch orders as GeoJSON, the org
units' outlines, and the base-map settings the PWA draws them on."""
