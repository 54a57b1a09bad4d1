/**
 * WGS-84 → GCJ-02 (the "Mars" offset every licensed map provider in mainland China applies to
 * its tiles: 高德, 腾讯 …). Our points are WGS-84 (phones' GPS, the org file); drawn on a GCJ-02
 * base map unshifted they sit 300–600 m off. 天地图 tiles are CGCS2000, which is WGS-84 to within
 * centimetres, so they need no shift. The formula is the public one (as in eviltransform); the
 * unit test checks it against that project's published vectors.
 */

const A = 6378245.0; // Krasovsky 1940 semi-major axis, as the formula uses
const EE = 0.00669342162296594323; // its eccentricity squared

/** Outside mainland China the offset is not applied (the formula's own rough rectangle). */
export function outOfChina(lat: number, lng: number): boolean {
  return lng < 72.004 || lng > 137.8347 || lat < 0.8293 || lat > 55.8271;
}

function transformLat(x: number, y: number): number {
  let r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  r += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
  r += ((20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin((y / 3.0) * Math.PI)) * 2.0) / 3.0;
  r += ((160.0 * Math.sin((y / 12.0) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30.0)) * 2.0) / 3.0;
  return r;
}

function transformLng(x: number, y: number): number {
  let r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  r += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
  r += ((20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin((x / 3.0) * Math.PI)) * 2.0) / 3.0;
  r += ((150.0 * Math.sin((x / 12.0) * Math.PI) + 300.0 * Math.sin((x / 30.0) * Math.PI)) * 2.0) / 3.0;
  return r;
}

/** The GCJ-02 position of a WGS-84 point, as `[lat, lng]`. */
export function wgs84ToGcj02(lat: number, lng: number): [number, number] {
  if (outOfChina(lat, lng)) return [lat, lng];
  let dLat = transformLat(lng - 105.0, lat - 35.0);
  let dLng = transformLng(lng - 105.0, lat - 35.0);
  const radLat = (lat / 180.0) * Math.PI;
  let magic = Math.sin(radLat);
  magic = 1 - EE * magic * magic;
  const sqrtMagic = Math.sqrt(magic);
  dLat = (dLat * 180.0) / (((A * (1 - EE)) / (magic * sqrtMagic)) * Math.PI);
  dLng = (dLng * 180.0) / ((A / sqrtMagic) * Math.cos(radLat) * Math.PI);
  return [lat + dLat, lng + dLng];
}

/** The map's coordinate shift for a server's `crs` setting: identity unless it says gcj02. */
export function shiftFor(crs: string | null | undefined): (lat: number, lng: number) => [number, number] {
  return crs === "gcj02" ? wgs84ToGcj02 : (lat, lng) => [lat, lng];
}
