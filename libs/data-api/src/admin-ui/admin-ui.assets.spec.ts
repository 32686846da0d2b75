import { gunzipSync } from 'node:zlib';
import type { MuninnConfig } from '@app/config';
import { ADMIN_UI_ASSET_NAMES, AdminUiAssets } from './admin-ui.assets.js';

const withUi = (adminUi: boolean) => new AdminUiAssets({ adminUi } as MuninnConfig);

describe('AdminUiAssets', () => {
  it('loads every allow-listed asset from the installed packages, with a content hash', async () => {
    const assets = withUi(true);
    await assets.onModuleInit();
    for (const name of ADMIN_UI_ASSET_NAMES) {
      const asset = assets.get(name)!;
      expect({ name, loaded: asset.body.length > 0 }).toEqual({ name, loaded: true });
      expect(asset.version).toMatch(/^[0-9a-f]{16}$/);
      expect(gunzipSync(asset.gzip).equals(asset.body)).toBe(true);
    }
    expect(assets.get('graphiql.min.js')!.body.toString('utf8', 0, 400)).toContain('.GraphiQL=');
  });

  it('answers only allow-listed names', async () => {
    const assets = withUi(true);
    await assets.onModuleInit();
    for (const name of ['../package.json', 'package.json', '__proto__', 'constructor', 'toString', '', '.']) {
      expect({ name, asset: assets.get(name) }).toEqual({ name, asset: undefined });
    }
  });

  it('renders a page that links only its own versioned assets and names no other host', async () => {
    const assets = withUi(true);
    await assets.onModuleInit();
    const html = assets.page('bm9uY2U=');
    expect(html).not.toMatch(/\/\/[a-z0-9]/i);
    expect(html).toContain('data-style-nonce="bm9uY2U="');
    for (const name of ADMIN_UI_ASSET_NAMES) {
      expect(html).toContain(`/admin/assets/${name}?v=${assets.get(name)!.version}"`);
    }
  });

  it('reads nothing and serves nothing when the UI is off', async () => {
    const assets = withUi(false);
    await assets.onModuleInit();
    expect(assets.enabled).toBe(false);
    expect(assets.get('graphiql.min.js')).toBeUndefined();
  });
});
