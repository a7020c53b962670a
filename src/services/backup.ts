// The CLI's `backup` reaches the database through services, like every adapter; the online
// backup itself is the store's (it needs no models, so it does not open the services).
export { backupDatabase } from '../store/backup.ts';
