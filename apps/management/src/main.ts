import 'reflect-metadata';
import { bootstrapNode } from '@app/platform';
import { ManagementModule } from './app.module.js';

await bootstrapNode('management', (config) => ManagementModule.forRoot(config));
