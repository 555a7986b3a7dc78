{
  "patcher": {
    "fileversion": 1,
    "appversion": {
      "major": 8,
      "minor": 6,
      "revision": 0,
      "architecture": "x64",
      "modernui": 1
    },
    "classnamespace": "box",
    "rect": [
      100.0,
      100.0,
      1120.0,
      640.0
    ],
    "openrect": [
      0.0,
      0.0,
      440.0,
      169.0
    ],
    "openinpresentation": 1,
    "default_fontsize": 10.0,
    "default_fontname": "Arial Bold",
    "gridsize": [
      8.0,
      8.0
    ],
    "devicewidth": 440.0,
    "description": "SemanticAudio: generate and edit sounds from text with a local sa-engine",
    "boxes": [
      {
        "box": {
          "id": "obj-40",
          "maxclass": "newobj",
          "patching_rect": [
            20,
            20,
            60,
            22
          ],
          "text": "plugin~",
          "numinlets": 1,
          "numoutlets": 2,
          "outlettype": [
            "signal",
            "signal"
          ]
        }
      },
      {
        "box": {
          "id": "obj-41",
          "maxclass": "newobj",
          "patching_rect": [
            20,
            80,
            60,
            22
          ],
          "text": "plugout~",
          "numinlets": 2,
          "numoutlets": 0,
          "outlettype": []
        }
      },
      {
        "box": {
          "id": "obj-1",
          "maxclass": "newobj",
          "patching_rect": [
            120,
            20,
            90,
            22
          ],
          "text": "live.thisdevice",
          "numinlets": 1,
          "numoutlets": 3,
          "outlettype": [
            "bang",
            "int",
            "int"
          ]
        }
      },
      {
        "box": {
          "id": "obj-2",
          "maxclass": "message",
          "patching_rect": [
            120,
            50,
            40,
            22
          ],
          "text": "init",
          "numinlets": 2,
          "numoutlets": 1,
          "outlettype": [
            ""
          ]
        }
      },
      {
        "box": {
          "id": "obj-3",
          "maxclass": "newobj",
          "patching_rect": [
            420,
            400,
            200,
            22
          ],
          "text": "js semanticaudio.js",
          "numinlets": 1,
          "numoutlets": 6,
          "outlettype": [
            "",
            "",
            "",
            "",
            "",
            ""
          ],
          "saved_object_attributes": {
            "filename": "semanticaudio.js",
            "parameter_enable": 0
          }
        }
      },
      {
        "box": {
          "id": "obj-4",
          "maxclass": "newobj",
          "patching_rect": [
            420,
            460,
            140,
            22
          ],
          "text": "udpsend 127.0.0.1 9000",
          "numinlets": 1,
          "numoutlets": 0,
          "outlettype": []
        }
      },
      {
        "box": {
          "id": "obj-5",
          "maxclass": "newobj",
          "patching_rect": [
            640,
            340,
            150,
            22
          ],
          "text": "udpreceive 9001 @defer 1",
          "numinlets": 1,
          "numoutlets": 1,
          "outlettype": [
            ""
          ]
        }
      },
      {
        "box": {
          "id": "obj-35",
          "maxclass": "newobj",
          "patching_rect": [
            880,
            430,
            150,
            22
          ],
          "text": "conformpath slash absolute",
          "numinlets": 1,
          "numoutlets": 2,
          "outlettype": [
            "",
            "int"
          ]
        }
      },
      {
        "box": {
          "id": "obj-36",
          "maxclass": "newobj",
          "patching_rect": [
            880,
            460,
            110,
            22
          ],
          "text": "prepend bootvolume",
          "numinlets": 1,
          "numoutlets": 1,
          "outlettype": [
            ""
          ]
        }
      },
      {
        "box": {
          "id": "obj-6",
          "maxclass": "comment",
          "patching_rect": [
            560,
            520,
            300,
            20
          ],
          "presentation": 1,
          "presentation_rect": [
            4,
            140,
            432,
            24
          ],
          "text": "SemanticAudio: waiting for Live",
          "numinlets": 1,
          "numoutlets": 0,
          "linecount": 2,
          "fontsize": 10.0,
          "varname": "status"
        }
      },
      {
        "box": {
          "id": "obj-7",
          "maxclass": "slider",
          "patching_rect": [
            560,
            490,
            200,
            12
          ],
          "presentation": 1,
          "presentation_rect": [
            4,
            128,
            432,
            8
          ],
          "numinlets": 1,
          "numoutlets": 1,
          "outlettype": [
            ""
          ],
          "floatoutput": 1,
          "size": 1.0,
          "orientation": 1,
          "ignoreclick": 1,
          "parameter_enable": 0,
          "varname": "progress"
        }
      },
      {
        "box": {
          "id": "obj-8",
          "maxclass": "umenu",
          "patching_rect": [
            800,
            300,
            140,
            22
          ],
          "presentation": 1,
          "presentation_rect": [
            206,
            78,
            144,
            20
          ],
          "numinlets": 1,
          "numoutlets": 3,
          "outlettype": [
            "int",
            "",
            ""
          ],
          "items": [
            "(no preset)"
          ],
          "parameter_enable": 0,
          "varname": "preset",
          "fontsize": 11.0
        }
      },
      {
        "box": {
          "id": "obj-9",
          "maxclass": "newobj",
          "patching_rect": [
            800,
            340,
            100,
            22
          ],
          "text": "prepend preset",
          "numinlets": 1,
          "numoutlets": 1,
          "outlettype": [
            ""
          ]
        }
      },
      {
        "box": {
          "id": "obj-50",
          "maxclass": "comment",
          "patching_rect": [
            20,
            140,
            50,
            20
          ],
          "presentation": 1,
          "presentation_rect": [
            4,
            4,
            44,
            20
          ],
          "text": "Prompt",
          "numinlets": 1,
          "numoutlets": 0
        }
      },
      {
        "box": {
          "id": "obj-10",
          "maxclass": "textedit",
          "patching_rect": [
            80,
            140,
            200,
            22
          ],
          "presentation": 1,
          "presentation_rect": [
            50,
            4,
            300,
            20
          ],
          "numinlets": 1,
          "numoutlets": 4,
          "outlettype": [
            "",
            "int",
            "",
            ""
          ],
          "keymode": 1,
          "lines": 1,
          "outputmode": 1,
          "parameter_enable": 0,
          "varname": "prompt",
          "fontsize": 11.0
        }
      },
      {
        "box": {
          "id": "obj-11",
          "maxclass": "newobj",
          "patching_rect": [
            80,
            170,
            100,
            22
          ],
          "text": "prepend prompt",
          "numinlets": 1,
          "numoutlets": 1,
          "outlettype": [
            ""
          ]
        }
      },
      {
        "box": {
          "id": "obj-51",
          "maxclass": "comment",
          "patching_rect": [
            20,
            200,
            50,
            20
          ],
          "presentation": 1,
          "presentation_rect": [
            4,
            28,
            44,
            20
          ],
          "text": "Source",
          "numinlets": 1,
          "numoutlets": 0
        }
      },
      {
        "box": {
          "id": "obj-12",
          "maxclass": "textedit",
          "patching_rect": [
            80,
            200,
            200,
            22
          ],
          "presentation": 1,
          "presentation_rect": [
            50,
            28,
            300,
            20
          ],
          "numinlets": 1,
          "numoutlets": 4,
          "outlettype": [
            "",
            "int",
            "",
            ""
          ],
          "keymode": 1,
          "lines": 1,
          "outputmode": 1,
          "parameter_enable": 0,
          "varname": "source",
          "fontsize": 11.0
        }
      },
      {
        "box": {
          "id": "obj-13",
          "maxclass": "newobj",
          "patching_rect": [
            80,
            230,
            100,
            22
          ],
          "text": "prepend source",
          "numinlets": 1,
          "numoutlets": 1,
          "outlettype": [
            ""
          ]
        }
      },
      {
        "box": {
          "id": "obj-52",
          "maxclass": "comment",
          "patching_rect": [
            20,
            260,
            50,
            20
          ],
          "presentation": 1,
          "presentation_rect": [
            4,
            52,
            44,
            20
          ],
          "text": "Target",
          "numinlets": 1,
          "numoutlets": 0
        }
      },
      {
        "box": {
          "id": "obj-14",
          "maxclass": "textedit",
          "patching_rect": [
            80,
            260,
            200,
            22
          ],
          "presentation": 1,
          "presentation_rect": [
            50,
            52,
            300,
            20
          ],
          "numinlets": 1,
          "numoutlets": 4,
          "outlettype": [
            "",
            "int",
            "",
            ""
          ],
          "keymode": 1,
          "lines": 1,
          "outputmode": 1,
          "parameter_enable": 0,
          "varname": "target",
          "fontsize": 11.0
        }
      },
      {
        "box": {
          "id": "obj-15",
          "maxclass": "newobj",
          "patching_rect": [
            80,
            290,
            100,
            22
          ],
          "text": "prepend target",
          "numinlets": 1,
          "numoutlets": 1,
          "outlettype": [
            ""
          ]
        }
      },
      {
        "box": {
          "id": "obj-16",
          "maxclass": "live.numbox",
          "patching_rect": [
            300,
            140,
            44,
            15
          ],
          "presentation": 1,
          "presentation_rect": [
            50,
            80,
            44,
            15
          ],
          "numinlets": 1,
          "numoutlets": 2,
          "outlettype": [
            "",
            "float"
          ],
          "parameter_enable": 1,
          "varname": "duration",
          "saved_attribute_attributes": {
            "valueof": {
              "parameter_longname": "Duration",
              "parameter_shortname": "Sec",
              "parameter_type": 0,
              "parameter_mmin": 0.5,
              "parameter_mmax": 30.0,
              "parameter_initial_enable": 1,
              "parameter_initial": [
                5.0
              ],
              "parameter_unitstyle": 1
            }
          }
        }
      },
      {
        "box": {
          "id": "obj-17",
          "maxclass": "newobj",
          "patching_rect": [
            300,
            170,
            110,
            22
          ],
          "text": "prepend duration",
          "numinlets": 1,
          "numoutlets": 1,
          "outlettype": [
            ""
          ]
        }
      },
      {
        "box": {
          "id": "obj-18",
          "maxclass": "live.numbox",
          "patching_rect": [
            300,
            200,
            44,
            15
          ],
          "presentation": 1,
          "presentation_rect": [
            130,
            80,
            36,
            15
          ],
          "numinlets": 1,
          "numoutlets": 2,
          "outlettype": [
            "",
            "float"
          ],
          "parameter_enable": 1,
          "varname": "variations",
          "saved_attribute_attributes": {
            "valueof": {
              "parameter_longname": "Variations",
              "parameter_shortname": "Var",
              "parameter_type": 1,
              "parameter_mmin": 1,
              "parameter_mmax": 8,
              "parameter_initial_enable": 1,
              "parameter_initial": [
                1
              ],
              "parameter_unitstyle": 0
            }
          }
        }
      },
      {
        "box": {
          "id": "obj-19",
          "maxclass": "newobj",
          "patching_rect": [
            300,
            230,
            120,
            22
          ],
          "text": "prepend variations",
          "numinlets": 1,
          "numoutlets": 1,
          "outlettype": [
            ""
          ]
        }
      },
      {
        "box": {
          "id": "obj-60",
          "maxclass": "comment",
          "patching_rect": [
            350,
            140,
            30,
            20
          ],
          "presentation": 1,
          "presentation_rect": [
            4,
            78,
            44,
            20
          ],
          "text": "Sec",
          "numinlets": 1,
          "numoutlets": 0
        }
      },
      {
        "box": {
          "id": "obj-61",
          "maxclass": "comment",
          "patching_rect": [
            350,
            200,
            30,
            20
          ],
          "presentation": 1,
          "presentation_rect": [
            98,
            78,
            30,
            20
          ],
          "text": "Var",
          "numinlets": 1,
          "numoutlets": 0
        }
      },
      {
        "box": {
          "id": "obj-62",
          "maxclass": "comment",
          "patching_rect": [
            950,
            300,
            50,
            20
          ],
          "presentation": 1,
          "presentation_rect": [
            168,
            78,
            38,
            20
          ],
          "text": "Preset",
          "numinlets": 1,
          "numoutlets": 0
        }
      },
      {
        "box": {
          "id": "obj-20",
          "maxclass": "live.text",
          "patching_rect": [
            460,
            140,
            80,
            20
          ],
          "presentation": 1,
          "presentation_rect": [
            356,
            4,
            80,
            20
          ],
          "text": "Generate",
          "texton": "Generate",
          "mode": 0,
          "numinlets": 1,
          "numoutlets": 2,
          "outlettype": [
            "",
            ""
          ],
          "parameter_enable": 1,
          "varname": "generate",
          "saved_attribute_attributes": {
            "valueof": {
              "parameter_longname": "Generate",
              "parameter_shortname": "Generate",
              "parameter_type": 2,
              "parameter_enum": [
                "val1",
                "val2"
              ],
              "parameter_mmax": 1,
              "parameter_invisible": 1
            }
          }
        }
      },
      {
        "box": {
          "id": "obj-21",
          "maxclass": "newobj",
          "patching_rect": [
            460,
            170,
            50,
            22
          ],
          "text": "t b b",
          "numinlets": 1,
          "numoutlets": 2,
          "outlettype": [
            "bang",
            "bang"
          ]
        }
      },
      {
        "box": {
          "id": "obj-22",
          "maxclass": "message",
          "patching_rect": [
            460,
            200,
            60,
            22
          ],
          "text": "generate",
          "numinlets": 2,
          "numoutlets": 1,
          "outlettype": [
            ""
          ]
        }
      },
      {
        "box": {
          "id": "obj-23",
          "maxclass": "live.text",
          "patching_rect": [
            560,
            140,
            80,
            20
          ],
          "presentation": 1,
          "presentation_rect": [
            356,
            28,
            80,
            20
          ],
          "text": "Edit",
          "texton": "Edit",
          "mode": 0,
          "numinlets": 1,
          "numoutlets": 2,
          "outlettype": [
            "",
            ""
          ],
          "parameter_enable": 1,
          "varname": "edit",
          "saved_attribute_attributes": {
            "valueof": {
              "parameter_longname": "Edit",
              "parameter_shortname": "Edit",
              "parameter_type": 2,
              "parameter_enum": [
                "val1",
                "val2"
              ],
              "parameter_mmax": 1,
              "parameter_invisible": 1
            }
          }
        }
      },
      {
        "box": {
          "id": "obj-24",
          "maxclass": "newobj",
          "patching_rect": [
            560,
            170,
            60,
            22
          ],
          "text": "t b b b",
          "numinlets": 1,
          "numoutlets": 3,
          "outlettype": [
            "bang",
            "bang",
            "bang"
          ]
        }
      },
      {
        "box": {
          "id": "obj-25",
          "maxclass": "message",
          "patching_rect": [
            560,
            200,
            40,
            22
          ],
          "text": "edit",
          "numinlets": 2,
          "numoutlets": 1,
          "outlettype": [
            ""
          ]
        }
      },
      {
        "box": {
          "id": "obj-26",
          "maxclass": "live.text",
          "patching_rect": [
            660,
            140,
            80,
            20
          ],
          "presentation": 1,
          "presentation_rect": [
            356,
            52,
            80,
            20
          ],
          "text": "Cancel",
          "texton": "Cancel",
          "mode": 0,
          "numinlets": 1,
          "numoutlets": 2,
          "outlettype": [
            "",
            ""
          ],
          "parameter_enable": 1,
          "varname": "cancel",
          "saved_attribute_attributes": {
            "valueof": {
              "parameter_longname": "Cancel",
              "parameter_shortname": "Cancel",
              "parameter_type": 2,
              "parameter_enum": [
                "val1",
                "val2"
              ],
              "parameter_mmax": 1,
              "parameter_invisible": 1
            }
          }
        }
      },
      {
        "box": {
          "id": "obj-27",
          "maxclass": "message",
          "patching_rect": [
            660,
            170,
            50,
            22
          ],
          "text": "cancel",
          "numinlets": 2,
          "numoutlets": 1,
          "outlettype": [
            ""
          ]
        }
      },
      {
        "box": {
          "id": "obj-28",
          "maxclass": "live.text",
          "patching_rect": [
            760,
            140,
            80,
            20
          ],
          "presentation": 1,
          "presentation_rect": [
            130,
            102,
            80,
            20
          ],
          "text": "Folder...",
          "texton": "Folder...",
          "mode": 0,
          "numinlets": 1,
          "numoutlets": 2,
          "outlettype": [
            "",
            ""
          ],
          "parameter_enable": 1,
          "varname": "folder",
          "saved_attribute_attributes": {
            "valueof": {
              "parameter_longname": "Folder",
              "parameter_shortname": "Folder",
              "parameter_type": 2,
              "parameter_enum": [
                "val1",
                "val2"
              ],
              "parameter_mmax": 1,
              "parameter_invisible": 1
            }
          }
        }
      },
      {
        "box": {
          "id": "obj-29",
          "maxclass": "newobj",
          "patching_rect": [
            760,
            170,
            100,
            22
          ],
          "text": "opendialog fold",
          "numinlets": 1,
          "numoutlets": 2,
          "outlettype": [
            "",
            "bang"
          ]
        }
      },
      {
        "box": {
          "id": "obj-30",
          "maxclass": "newobj",
          "patching_rect": [
            760,
            200,
            100,
            22
          ],
          "text": "prepend folder",
          "numinlets": 1,
          "numoutlets": 1,
          "outlettype": [
            ""
          ]
        }
      },
      {
        "box": {
          "id": "obj-31",
          "maxclass": "live.tab",
          "patching_rect": [
            860,
            140,
            120,
            20
          ],
          "presentation": 1,
          "presentation_rect": [
            4,
            102,
            120,
            20
          ],
          "numinlets": 1,
          "numoutlets": 3,
          "outlettype": [
            "",
            "",
            "float"
          ],
          "num_lines_patching": 1,
          "num_lines_presentation": 1,
          "parameter_enable": 1,
          "varname": "place",
          "saved_attribute_attributes": {
            "valueof": {
              "parameter_longname": "Place",
              "parameter_shortname": "Place",
              "parameter_type": 2,
              "parameter_enum": [
                "Session",
                "Arrangement"
              ],
              "parameter_mmax": 1,
              "parameter_unitstyle": 9
            }
          }
        }
      },
      {
        "box": {
          "id": "obj-32",
          "maxclass": "newobj",
          "patching_rect": [
            860,
            170,
            100,
            22
          ],
          "text": "prepend place",
          "numinlets": 1,
          "numoutlets": 1,
          "outlettype": [
            ""
          ]
        }
      },
      {
        "box": {
          "id": "obj-33",
          "maxclass": "live.text",
          "patching_rect": [
            1000,
            140,
            80,
            20
          ],
          "presentation": 1,
          "presentation_rect": [
            356,
            78,
            80,
            20
          ],
          "text": "Ping",
          "texton": "Ping",
          "mode": 0,
          "numinlets": 1,
          "numoutlets": 2,
          "outlettype": [
            "",
            ""
          ],
          "parameter_enable": 1,
          "varname": "ping",
          "saved_attribute_attributes": {
            "valueof": {
              "parameter_longname": "Ping",
              "parameter_shortname": "Ping",
              "parameter_type": 2,
              "parameter_enum": [
                "val1",
                "val2"
              ],
              "parameter_mmax": 1,
              "parameter_invisible": 1
            }
          }
        }
      },
      {
        "box": {
          "id": "obj-34",
          "maxclass": "message",
          "patching_rect": [
            1000,
            170,
            40,
            22
          ],
          "text": "ping",
          "numinlets": 2,
          "numoutlets": 1,
          "outlettype": [
            ""
          ]
        }
      }
    ],
    "lines": [
      {
        "patchline": {
          "source": [
            "obj-40",
            0
          ],
          "destination": [
            "obj-41",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-40",
            1
          ],
          "destination": [
            "obj-41",
            1
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-1",
            0
          ],
          "destination": [
            "obj-2",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-2",
            0
          ],
          "destination": [
            "obj-3",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-3",
            0
          ],
          "destination": [
            "obj-4",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-5",
            0
          ],
          "destination": [
            "obj-3",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-3",
            4
          ],
          "destination": [
            "obj-5",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-3",
            5
          ],
          "destination": [
            "obj-35",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-35",
            0
          ],
          "destination": [
            "obj-36",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-36",
            0
          ],
          "destination": [
            "obj-3",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-3",
            1
          ],
          "destination": [
            "obj-6",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-3",
            2
          ],
          "destination": [
            "obj-7",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-3",
            3
          ],
          "destination": [
            "obj-8",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-8",
            1
          ],
          "destination": [
            "obj-9",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-9",
            0
          ],
          "destination": [
            "obj-3",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-10",
            0
          ],
          "destination": [
            "obj-11",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-11",
            0
          ],
          "destination": [
            "obj-3",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-12",
            0
          ],
          "destination": [
            "obj-13",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-13",
            0
          ],
          "destination": [
            "obj-3",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-14",
            0
          ],
          "destination": [
            "obj-15",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-15",
            0
          ],
          "destination": [
            "obj-3",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-16",
            0
          ],
          "destination": [
            "obj-17",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-17",
            0
          ],
          "destination": [
            "obj-3",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-18",
            0
          ],
          "destination": [
            "obj-19",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-19",
            0
          ],
          "destination": [
            "obj-3",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-20",
            0
          ],
          "destination": [
            "obj-21",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-21",
            1
          ],
          "destination": [
            "obj-10",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-21",
            0
          ],
          "destination": [
            "obj-22",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-22",
            0
          ],
          "destination": [
            "obj-3",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-23",
            0
          ],
          "destination": [
            "obj-24",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-24",
            2
          ],
          "destination": [
            "obj-14",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-24",
            1
          ],
          "destination": [
            "obj-12",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-24",
            0
          ],
          "destination": [
            "obj-25",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-25",
            0
          ],
          "destination": [
            "obj-3",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-26",
            0
          ],
          "destination": [
            "obj-27",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-27",
            0
          ],
          "destination": [
            "obj-3",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-28",
            0
          ],
          "destination": [
            "obj-29",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-29",
            0
          ],
          "destination": [
            "obj-30",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-30",
            0
          ],
          "destination": [
            "obj-3",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-31",
            0
          ],
          "destination": [
            "obj-32",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-32",
            0
          ],
          "destination": [
            "obj-3",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-33",
            0
          ],
          "destination": [
            "obj-34",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "obj-34",
            0
          ],
          "destination": [
            "obj-3",
            0
          ]
        }
      }
    ],
    "parameters": {
      "obj-16": [
        "Duration",
        "Sec",
        0
      ],
      "obj-18": [
        "Variations",
        "Var",
        0
      ],
      "obj-20": [
        "Generate",
        "Generate",
        0
      ],
      "obj-23": [
        "Edit",
        "Edit",
        0
      ],
      "obj-26": [
        "Cancel",
        "Cancel",
        0
      ],
      "obj-28": [
        "Folder",
        "Folder",
        0
      ],
      "obj-31": [
        "Place",
        "Place",
        0
      ],
      "obj-33": [
        "Ping",
        "Ping",
        0
      ],
      "inherited_shortname": 1
    },
    "dependency_cache": [
      {
        "name": "semanticaudio.js",
        "type": "TEXT",
        "implicit": 1
      }
    ],
    "autosave": 0
  }
}
