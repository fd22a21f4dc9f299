/** The version this build reports (stores register it with PD). */
export const VERSION = '0.1.0';
