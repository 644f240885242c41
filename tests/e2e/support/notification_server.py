#!/usr/bin/python3
"""A test notification server: owns org.freedesktop.Notifications on the session bus (the
Desktop Notifications Specification) and writes every notification it receives to OUT as one
JSON line {id, app_name, summary, body, actions}. Prints "ready" once the name is owned.

A test plays the person clicking a notification through this server's own test interface:
`org.advisordesk.TestNotifications.Invoke(id, action)` emits the specification's
`ActionInvoked(id, action)` signal, as a desktop's server does on a click ("default" for a
click on the notification itself).

    /usr/bin/python3 notification_server.py OUT
"""
import json
import sys

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

NAME = "org.freedesktop.Notifications"
TEST = "org.advisordesk.TestNotifications"
PATH = "/org/freedesktop/Notifications"


class Server(dbus.service.Object):
    def __init__(self, bus, out):
        super().__init__(bus, PATH)
        self.out = out
        self.next_id = 1

    @dbus.service.method(NAME, in_signature="susssasa{sv}i", out_signature="u")
    def Notify(self, app_name, replaces_id, icon, summary, body, actions, hints, timeout):
        with open(self.out, "a", encoding="utf-8") as f:
            f.write(json.dumps({
                "id": self.next_id,
                "app_name": str(app_name),
                "summary": str(summary),
                "body": str(body),
                "actions": [str(a) for a in actions],
            }) + "\n")
        self.next_id += 1
        return dbus.UInt32(self.next_id - 1)

    @dbus.service.method(NAME, in_signature="", out_signature="as")
    def GetCapabilities(self):
        return ["body", "actions"]

    @dbus.service.method(NAME, in_signature="", out_signature="ssss")
    def GetServerInformation(self):
        return ("advisor-desk-test", "advisor-desk", "1", "1.2")

    @dbus.service.method(NAME, in_signature="u", out_signature="")
    def CloseNotification(self, notification_id):
        self.NotificationClosed(notification_id, 3)

    @dbus.service.signal(NAME, signature="uu")
    def NotificationClosed(self, notification_id, reason):
        pass

    @dbus.service.signal(NAME, signature="us")
    def ActionInvoked(self, notification_id, action_key):
        pass

    @dbus.service.method(TEST, in_signature="us", out_signature="")
    def Invoke(self, notification_id, action_key):
        self.ActionInvoked(notification_id, action_key)


def main():
    DBusGMainLoop(set_as_default=True)
    bus = dbus.SessionBus()
    name = dbus.service.BusName(NAME, bus, do_not_queue=True)
    server = Server(bus, sys.argv[1])
    print("ready", flush=True)
    GLib.MainLoop().run()
    del name, server


if __name__ == "__main__":
    main()
