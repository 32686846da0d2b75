import { Module } from '@nestjs/common';
import { AdminUiAssets } from './admin-ui.assets.js';
import { AdminUiController } from './admin-ui.controller.js';

/** The work node's admin UI at `/admin` (on when `ADMIN_UI=true`); needs `MUNINN_CONFIG`. */
@Module({ controllers: [AdminUiController], providers: [AdminUiAssets] })
export class AdminUiModule {}
