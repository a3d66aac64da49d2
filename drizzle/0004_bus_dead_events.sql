CREATE TABLE "platform"."dead_events" (
	"id" uuid PRIMARY KEY NOT NULL,
	"event_id" text NOT NULL,
	"module" text NOT NULL,
	"type" text NOT NULL,
	"payload" jsonb NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"deliveries" integer NOT NULL,
	"error" text NOT NULL,
	"died_at" timestamp with time zone DEFAULT now() NOT NULL,
	"replayed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "platform"."handled_events" (
	"module" text NOT NULL,
	"event_id" text NOT NULL,
	"handled_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "handled_events_module_event_id_pk" PRIMARY KEY("module","event_id")
);
--> statement-breakpoint
CREATE UNIQUE INDEX "dead_events_open_idx" ON "platform"."dead_events" USING btree ("module","event_id") WHERE replayed_at is null;--> statement-breakpoint
CREATE INDEX "handled_events_handled_at_idx" ON "platform"."handled_events" USING btree ("handled_at");