CREATE SCHEMA "chat";
--> statement-breakpoint
CREATE TABLE "chat"."members" (
	"room_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"joined_at" timestamp with time zone NOT NULL,
	"read_seq" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "members_room_id_user_id_pk" PRIMARY KEY("room_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "chat"."messages" (
	"id" uuid PRIMARY KEY NOT NULL,
	"room_id" uuid NOT NULL,
	"seq" bigint NOT NULL,
	"author_id" uuid NOT NULL,
	"client_id" text NOT NULL,
	"text" text,
	"created_at" timestamp with time zone NOT NULL,
	"edited_at" timestamp with time zone,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "messages_room_seq_unique" UNIQUE("room_id","seq"),
	CONSTRAINT "messages_author_client_unique" UNIQUE("author_id","client_id")
);
--> statement-breakpoint
CREATE TABLE "chat"."rooms" (
	"id" uuid PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"name" text,
	"owner_id" uuid,
	"direct_key" text,
	"last_seq" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "rooms_direct_key_unique" UNIQUE("direct_key"),
	CONSTRAINT "rooms_kind_check" CHECK ("chat"."rooms"."kind" in ('public', 'private', 'direct')),
	CONSTRAINT "rooms_direct_key_check" CHECK (("chat"."rooms"."kind" = 'direct') = ("chat"."rooms"."direct_key" is not null))
);
--> statement-breakpoint
ALTER TABLE "chat"."members" ADD CONSTRAINT "members_room_id_rooms_id_fk" FOREIGN KEY ("room_id") REFERENCES "chat"."rooms"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "chat"."messages" ADD CONSTRAINT "messages_room_id_rooms_id_fk" FOREIGN KEY ("room_id") REFERENCES "chat"."rooms"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "members_user_idx" ON "chat"."members" USING btree ("user_id","room_id");--> statement-breakpoint
CREATE INDEX "rooms_kind_idx" ON "chat"."rooms" USING btree ("kind","id");